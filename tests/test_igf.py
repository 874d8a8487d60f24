"""IGF pages and caption transcripts: one variant document per layout rule, written here (not copied
from the corpus), with the values a careful reader would record (CONVENTIONS.md)."""
from __future__ import annotations

import datetime as dt

from pipeline.sources import detect_format, parse_document


def igf(text):
    return parse_document(text, "igf_proposal")


def people(session):
    return [(p.name, p.roles, p.organization) for p in session.participants]


def kinds(session, kind):
    return [i.text for i in session.items if i.kind == kind]


# --- form fields written as bullets (session report template) ----------------------------------

REPORT = """- Session Type (Workshop, Open Forum, etc.): Roundtable - 90 minutes
- Title: Securing Undersea Cables
- Date & Time: Wednesday, 4 December, 2019 - 10:00 to 11:30
- Organizer(s):
Lena Okafor, Harbour Institute, Civil Society, African Group, female
Tomas Reiss, Harbour Institute, Civil Society, Western European and Others Group (WEOG), male
- Chair/Moderator: Tomas Reiss
- Rapporteur/Notetaker: Lena Okafor
- Please state no more than three (3) key messages of the discussion.
- Cable repair capacity is concentrated in few hands.
- Landing stations need shared threat information.
- Wh"""


def test_bullet_fields_of_a_report_are_read_as_fields():
    (s,) = igf(REPORT).sessions
    assert (s.title, s.date, s.start_time, s.end_time) == (
        "Securing Undersea Cables", dt.date(2019, 12, 4), dt.time(10), dt.time(11, 30))
    assert [(p.name, sorted(p.roles), p.organization) for p in s.participants] == [
        ("Lena Okafor", ["organizer", "rapporteur"], "Harbour Institute"),
        ("Tomas Reiss", ["moderator", "organizer"], "Harbour Institute")]
    # the last "- Wh" is the cut start of the next question, not a key message
    assert kinds(s, "keypoint") == ["Cable repair capacity is concentrated in few hands.",
                                    "Landing stations need shared threat information."]


# --- a page listing several sessions -----------------------------------------------------------

LISTING = """Cyber Resilience

IGF 2022 WS #501 Protecting hospitals from ransomware

A teaser about hospitals.

IGF 2022 Main Session Digital trust for all

A teaser about trust.

IGF 2021 OF #77 Norms in practice

Additional Speakers

1. Pablo Ferri will be replaced by Ines Marquez (Cyber Peace Lab, University of Lisbon).
2. Hana Novak will be replaced by Omar Said (Digital Rights Watch).
"""


def test_a_listing_page_is_cut_at_its_titled_code_lines():
    doc = igf(LISTING)
    assert [s.title for s in doc.sessions] == ["IGF 2022 WS #501 Protecting hospitals from ransomware",
                                               "IGF 2022 Main Session Digital trust for all",
                                               "IGF 2021 OF #77 Norms in practice"]
    assert [s.participants for s in doc.sessions[:2]] == [[], []]
    # the person replaced does not take part; a bracketed organization with no position stays whole
    assert people(doc.sessions[2]) == [("Ines Marquez", ["speaker"], "Cyber Peace Lab, University of Lisbon"),
                                       ("Omar Said", ["speaker"], "Digital Rights Watch")]


# --- people whose label was lost ----------------------------------------------------------------

SCHED = """Welcome to IGF2019! Create your schedule below.

Wednesday, November 27

11:15 CET

Open data for crisis response (WS412)

Proposer's Name: Ms. Greta Lindqvist
Proposer's Organization: Nordic Data Lab

Mattias Brandt, Head of Analytics at Norwind
Yara Haddad,
Director of the Centre for Civic Technology, UNAM

Mr Kenji Sato, Chief Engineer, Solace Networks (keynote speaker)
Kenji Sato is the chief engineer of Solace Networks and writes about resilient systems for many years.

Moderator: Dana Whitfield,
Senior Fellow in Data Ethics, Orion Foundation

Session Organizers
avatar for Greta Lindqvist

Greta Lindqvist

Programme Lead, Nordic Data Lab
Greta leads the Nordic
"""


def test_sched_day_and_time_lines_give_the_date_with_the_edition_year():
    assert detect_format(SCHED) == "igf_proposal"
    (s,) = igf(SCHED).sessions
    assert (s.title, s.date, s.start_time) == ("Open data for crisis response (WS412)", dt.date(2019, 11, 27), dt.time(11, 15))


def test_unlabelled_person_lines_and_names_over_their_affiliation():
    (s,) = igf(SCHED).sessions
    assert [(p.name, sorted(p.roles), p.organization) for p in s.participants] == [
        ("Greta Lindqvist", ["organizer"], "Nordic Data Lab"),
        ("Mattias Brandt", ["listed"], "Norwind"),
        ("Yara Haddad", ["listed"], "UNAM"),
        ("Kenji Sato", ["keynote"], "Solace Networks"),
        ("Dana Whitfield", ["moderator"], "Orion Foundation")]


def test_a_plural_label_labels_every_line_below_it():
    text = ("IGF 2020 WS #88 Cyber hygiene for schools\n\nAdditional Speakers\n\n"
            "Maria Kowalczyk, Programme Officer, Safe Schools Network\n\n"
            "Joao Pereira, Head, CERT-EDU unit for school networks\n\nModerator\n\nAnn Lind\n\nOnline Moderator\n\n"
            "Piotr Zielinski, Civil Society, Eastern European Group\n\nIvo Kranjc, Civil Society, Eastern European Group\n")
    (s,) = igf(text).sessions
    # "CERT-EDU unit for school networks": a unit of the institution its acronym names
    assert people(s) == [("Maria Kowalczyk", ["speaker"], "Safe Schools Network"),
                         ("Joao Pereira", ["speaker"], "CERT-EDU"), ("Ann Lind", ["moderator"], None),
                         ("Piotr Zielinski", ["moderator"], None), ("Ivo Kranjc", ["listed"], None)]


def test_comma_split_records_of_the_2017_form():
    text = ("IGF 2017 WS #90 Rules for cyber conflict\n\nProposer's Name: Mr. Leo Brandt\n"
            "Proposer's Organization: Alpine Policy Forum\n"
            "Ms,Clara,MOREAU,Academia,University of Lyon\n"
            "Dr. Samuel, Osei, Civil Society, Accra Policy Lab, Ghana Internet Society Mr. Ravi, Menon, Private Sector, Tarang Networks\n")
    (s,) = igf(text).sessions
    assert people(s)[1:] == [("Clara MOREAU", ["listed"], "University of Lyon"),
                             ("Samuel Osei", ["listed"], "Accra Policy Lab"),
                             ("Ravi Menon", ["listed"], "Tarang Networks")]


def test_one_person_written_twice_is_one_participant():
    text = ("Speaker 1: Lucia Fernandez, Government, Latin American and Caribbean Group (GRULAC)\n"
            "Speaker 2: Dmitri Alexandrov, Civil Society, Eastern European Group\n"
            "Speakers bios\n"
            "Ms Lucia Fernandez Ortega, Permanent Mission of Uruguay to the United Nations\n"
            "Dmitri Aleksandrov, Professor of Law, University of Tartu\n")
    (s,) = igf(text).sessions
    assert [(p.name, p.organization) for p in s.participants] == [
        ("Lucia Fernandez", "Permanent Mission of Uruguay to the United Nations"),
        ("Dmitri Alexandrov", "University of Tartu")]


# --- "Surname, Given" lists ---------------------------------------------------------------------

def test_surname_first_lists_are_read_by_their_shape():
    text = ("IGF 2019 WS #12 Coordinated vulnerability disclosure\n\nAdditional Speakers:\n"
            "  • Okonkwo, Adaeze; African Cyber Alliance (civil society)\n"
            "  • Berg, Henrik Telenova, (private)\n"
            "  • de Vries, Anouk; Dutch Security Council, Ministry of Justice (government)\n"
            "  • Tanaka, Yui; Senior Researcher at Kanto University’s Institute of Security, and Adviser to NISC (civil society)\n"
            "  • Moreno, Luis Alberto Director, Agencia Digital, Government of Peru (government)\n")
    (s,) = igf(text).sessions
    assert people(s) == [("Adaeze Okonkwo", ["speaker"], "African Cyber Alliance"),
                         ("Henrik Berg", ["speaker"], "Telenova"),
                         ("Anouk de Vries", ["speaker"], "Dutch Security Council, Ministry of Justice"),
                         ("Yui Tanaka", ["speaker"], "Kanto University"),
                         ("Luis Alberto Moreno", ["speaker"], "Government of Peru")]


def test_first_last_lines_are_not_read_surname_first():
    text = ("IGF 2019 WS #13 Cyber norms\n\nAdditional Speakers\n\nRosa Lind, Meridian\n\nOwen Price, Castellan\n\n"
            "Nadia Karim, Halcyon\n")
    (s,) = igf(text).sessions
    assert [p.name for p in s.participants] == ["Rosa Lind", "Owen Price", "Nadia Karim"]


# --- lists ---------------------------------------------------------------------------------------

def policy_count(block):
    (s,) = igf("IGF 2024 WS #7 A session\n\nOrganizer 1: Ana Ruiz, Lab\n\nPolicy Question(s)\n\n" + block).sessions
    return kinds(s, "policy_question")


def test_policy_questions_one_per_paragraph_unless_one_paragraph_holds_them_all():
    assert policy_count("Who decides? Who pays? Who checks?\n\nWhat will participants gain from attending this session? "
                        "Insight.\n\nMore lines.\n") == ["Who decides?", "Who pays?", "Who checks?"]
    assert policy_count("Trust: What is trust? How is it built?\nScale: Can it scale? Where?\n\n"
                        "This workshop looks at trust.\n") == ["Trust: What is trust? How is it built?",
                                                               "Scale: Can it scale? Where?"]
    assert policy_count("1. Are we ready? How do we start?\n\n2. Which laws apply? Which gaps remain?\n\n"
                        "What will participants gain from attending this session? Knowledge\n"
                        "A second outcome line\n") == ["Are we ready? How do we start?", "Which laws apply? Which gaps remain?"]


def test_tags_and_topic_lines_under_the_title_are_key_topics():
    text = ("IGF 2023 WS #300 Safer connected homes\n\nCybersecurity, Cybercrime & Online Safety\nSmart Home Devices\n"
            "Consumer Protection\n\nOrganizer 1: Ivan Petrov, Home Lab\n\nTags\n\nTag1: IoT\n")
    (s,) = igf(text).sessions
    assert kinds(s, "key_topic") == ["Cybersecurity, Cybercrime & Online Safety", "Smart Home Devices",
                                     "Consumer Protection", "IoT"]


def test_o_bullets_introduced_lists_and_roles_named_in_brackets():
    text = ("IGF 2017 WS #55 Cyber peace\n\n"
            "-        The moderator (Helen Marsh) opens the session and frames it (5 min)\n\n"
            "-        Next the invited speakers will give short remarks to set the scene (10 minutes)\n\n"
            "o   Arjun Rao (5 minutes)\n\n"
            "o   Beatriz Costa (5 minutes)\n\n"
            "-        Then the moderator leads the discussion touching on the following topics (60 minutes)\n\n"
            "o   State behaviour in cyberspace\n\n"
            "o   The role of industry\n\n"
            "-        The moderator closes the session.\n")
    (s,) = igf(text).sessions
    assert people(s) == [("Helen Marsh", ["moderator"], None), ("Arjun Rao", ["speaker"], None),
                         ("Beatriz Costa", ["speaker"], None)]
    assert kinds(s, "key_topic") == ["State behaviour in cyberspace", "The role of industry"]


def test_a_list_introduced_as_policy_guiding_questions():
    text = ("Session\nTime\nMonday, 3rd March, 2025 (09:00 UTC) - Monday, 3rd March, 2025 (10:00 UTC)\nAbout this Session\n"
            "This session looks at how regional cooperation helps against ransomware in small and medium enterprises.\n"
            "We will discuss several policy guiding questions:\nRegional Cooperation\n"
            "- How can regions share threat data?\n- What role for national CERTs\n")
    assert detect_format(text) == "igf_proposal"
    (s,) = igf(text).sessions
    assert (s.date, s.start_time, s.end_time) == (dt.date(2025, 3, 3), dt.time(9), dt.time(10))
    assert kinds(s, "policy_question") == ["How can regions share threat data?", "What role for national CERTs"]


# --- small rules ---------------------------------------------------------------------------------

def test_rooms_are_not_people_and_chair_is_a_surname_in_a_person_slot():
    text = ("IGF 2018 WS #9 Cyber capacity in the Pacific\n\nRoom\nSalle XII\n\n"
            "Organizer 1: Mele Chair, Pacific ICT Hub\n\nModerator\n\nSione Taufa\n\nOnline Moderator\n\nMele Chair\n")
    (s,) = igf(text).sessions
    assert [(p.name, sorted(p.roles), p.organization) for p in s.participants] == [
        ("Mele Chair", ["moderator", "organizer"], "Pacific ICT Hub"), ("Sione Taufa", ["moderator"], None)]


def test_a_numbered_slot_whose_name_part_is_no_name_names_no_one():
    doc = igf("IGF 2019 WS #3 A talk\nOrganizer 1: Ana Speaker, Bright Horizons Collective\nSpeaker 1: Omar Farouk, Civil Society, African Group\n")
    assert [p.name for p in doc.sessions[0].participants] == ["Omar Farouk"]  # never the organization
    assert any("no name given" in note for note in doc.notes)


def test_the_numbered_2016_form_contacts_are_its_proposers():
    text = ("Go back\n\nNo. 41 Trust in the cloud\n\n1. Primary Contact Information\n\nMs. Ingrid Holm\n\n"
            "Organizational Affiliation: CloudTrust Nordic\n\n2. Secondary Contact Information\n\nMr. Pavel Dvorak\n\n"
            "Organizational Affiliation: Prague Cloud Forum\n\n6. Title\n\nTrust in the cloud\n\n8. Tags\n\n"
            "Tag1: Cloud\n\nTag2: Trust\n")
    assert detect_format(text) == "igf_proposal"
    (s,) = igf(text).sessions
    assert s.title == "No. 41 Trust in the cloud"
    assert people(s) == [("Ingrid Holm", ["organizer"], "CloudTrust Nordic"),
                         ("Pavel Dvorak", ["organizer"], "Prague Cloud Forum")]
    assert kinds(s, "key_topic") == ["Cloud", "Trust"]


def test_a_glued_time_and_a_country_adjective_on_a_former_position():
    text = ("IGF 2020 OF #5 Cyber diplomacy\n\nDate: November 3, 2020 Time:15:00 – 16:30\n\n"
            "✓Laila Nasser, Advisor, Former Kenyan Minister of Digital Economy\n")
    (s,) = igf(text).sessions
    assert (s.date, s.start_time, s.end_time) == (dt.date(2020, 11, 3), dt.time(15), dt.time(16, 30))
    assert [(p.name, p.country) for p in s.participants] == [("Laila Nasser", "Kenya")]


def test_an_organization_owned_by_a_possessive_is_the_institution():
    text = ("IGF 2021 WS #4 Cloud security\n\nAdditional Speakers\n\n"
            "Noor Aziz, Vice president for Stellar Cloud Systems’s Public Sector business in Asia\n")
    (s,) = igf(text).sessions
    assert people(s) == [("Noor Aziz", ["speaker"], "Stellar Cloud Systems")]


def test_prose_fallback_does_not_take_rooms_or_addresses():
    text = ("IGF 2018 OF #12 Youth and cyber\n\nOnline Moderator:\n\nSession Time:\nTuesday, 13 November, 2018 - 10:00 to 11:00\n"
            "Salle IV\n\nContact Information\n\nUnited Nations\nSecretariat of the Forum\n\nVilla Rosa\nPalais des Nations,\n")
    (s,) = igf(text).sessions
    assert s.participants == [] and s.start_time == dt.time(10)


# --- caption transcripts -------------------------------------------------------------------------

def transcript(turns):
    text = ("IGF 2023 - Day 2 - Room 4 - WS #61 Resilient networks\n\nThe following are the outputs of the captioning "
            "taken during an IGF intervention.\n\n***\n\n" + turns)
    (s,) = igf(text).sessions
    return {p.name: (sorted(p.roles), p.organization) for p in s.participants}


def test_caption_cues_are_matched_in_any_case_and_names_only_capitalised():
    found = transcript(
        ">> MODERATOR: Welcome all. I will ask Tariq Haddad from the agency for network and information security to "
        "open. We do have Mina Cho who is head of research and policy at Seoul Cyber Institute. And we also have our "
        "Moderator, that Erik Lund who will read the chat. And my dear colleague, Zofia Nowak from the Warsaw Lab.\n")
    assert found == {"Tariq Haddad": (["panellist"], "agency for network and information security"),
                     "Mina Cho": (["panellist"], "Seoul Cyber Institute"),
                     "Erik Lund": (["moderator"], None),
                     "Zofia Nowak": (["panellist"], "Warsaw Lab")}


def test_self_introductions_take_the_organization_that_follows():
    found = transcript(">> Good morning. My name is Rosa Vidal. I'm working at the Chilean Mission. I will be your "
                       "moderator today.\n\n>> KOFI MENSAH: I'm Kofi Mensah, the Ghana Cyber Authority. And I will be "
                       "moderating online. I will be helped by Ama Owusu, who is in the room.\n\n"
                       ">> LIN WEI: Hello. My name is Lin Wei. I'm with dot Mobi and I'll be speaking first.\n")
    assert found == {"Rosa Vidal": (["moderator"], "Chilean Mission"),
                     "KOFI MENSAH": (["moderator", "speaker"], "Ghana Cyber Authority"),
                     "Ama Owusu": (["moderator"], None),
                     "LIN WEI": (["speaker"], "dot Mobi")}


def test_the_speaker_who_opens_the_session_moderates_it():
    found = transcript(">> We all live in a digital world.\n\n>> AMINA BELLO: Greetings. Welcome to the Lagos Cyber workshop "
                       "on resilient networks. As I will be introducing you, speakers, please stay connected.\n\n"
                       ">> PETER HOLM: Thank you Amina.\n")
    assert found == {"AMINA BELLO": (["moderator", "speaker"], None), "PETER HOLM": (["speaker"], None)}
    lead = transcript(">> JONAS BERG: Thank you very much for joining this meeting of the Forum. I was a lead expert.\n")
    assert lead == {"JONAS BERG": (["speaker"], None)}
