"""Source family tests: exact values on each seed, and variant documents of each family built here."""
from __future__ import annotations

import datetime as dt

import pytest

from pipeline.extract.dates import find_dates, find_times, utc_offset
from pipeline.model.names import person_key, speaker_kind, strip_honorifics
from pipeline.sources import detect_format, parse_document
from pipeline.sources.common import split_numbered


def parse_isomer_event(text):
    return parse_document(text, "isomer_event")


def parse_igf_proposal(text):
    return parse_document(text, "igf_proposal")


def parse_diplo_report(text):
    return parse_document(text, "diplo_report")


def parse_concept_note(text):
    return parse_document(text, "concept_note")


# --- detection ---------------------------------------------------------------------------------

@pytest.mark.parametrize("key,fmt", [("sicw", "isomer_event"), ("sicw_archive", "isomer_event"), ("igf", "igf_proposal"),
                                     ("diplo", "diplo_report"), ("concept", "concept_note")])
def test_format_detected_from_content(seed_text, key, fmt):
    assert detect_format(seed_text(key)) == fmt


def test_text_of_no_family_is_generic_and_rejected_only_when_it_states_no_session():
    assert detect_format("Shopping list\n\neggs, milk\n") == "generic"
    shopping = parse_document("Shopping list\n\neggs, milk\n")
    assert (shopping.format, shopping.sessions, shopping.problems[0]) == ("generic", [], "no session stated in the text")
    talk = parse_document("Cyber Norms Breakfast Talk\n\n12 March 2024, 8.00am - 9.30am\n\n"
                          "Speaker: Dr Aisha Rahman, Director, Cyber Policy Institute\n")
    (s,) = talk.sessions
    assert (talk.format, s.title, s.date, s.start_time, s.end_time) == (
        "generic", "Cyber Norms Breakfast Talk", dt.date(2024, 3, 12), dt.time(8), dt.time(9, 30))
    assert [(p.name, p.roles, p.organization) for p in s.participants] == [("Aisha Rahman", ["speaker"], "Cyber Policy Institute")]


# --- seeds -------------------------------------------------------------------------------------

def test_isomer_seed(seed_text):
    doc = parse_isomer_event(seed_text("sicw"))
    (s,) = doc.sessions
    assert doc.url == "/solidarity-in-cyberspace-how-to-assist-countries-in-need/"
    assert (s.date, s.start_time, s.end_time, s.utc_offset) == (dt.date(2024, 10, 15), dt.time(16), dt.time(17, 30), "+08:00")
    assert s.description.startswith("Can international community help those in need?")
    assert [p.name for p in s.participants] == ["David Koh", "Craig Stephen", "Luke Ong", "Wenke Lee", "Sharon Tan", "Gaurav Keerthi"]
    koh = s.participants[0]
    assert (koh.honorific, koh.position, koh.organization, koh.country) == (
        "Mr", "Commissioner of Cybersecurity & Chief Executive (CE)", "Cyber Security Agency of Singapore (CSA)",
        "Singapore")
    assert s.participants[-1].roles == ["moderator"]
    assert doc.problems == [] and not doc.truncated


def test_isomer_archive_seed(seed_text):
    (s,) = parse_isomer_event(seed_text("sicw_archive")).sessions
    chomicki = s.participants[-1]
    assert (chomicki.name, chomicki.honorific, chomicki.roles, chomicki.organization, chomicki.country) == (
        "Tadeusz Chomicki", "H.E.", ["moderator"], "Security Policy Department, Ministry of Foreign Affairs", "Poland")
    eu = s.participants[0]
    assert (eu.name, eu.organization, eu.country) == ("Manon Le Blanc", "European External Action Service", "European Union")
    assert all(p.roles == ["panellist"] for p in s.participants[:5])


def test_igf_seed(seed_text):
    doc = parse_igf_proposal(seed_text("igf"))
    (s,) = doc.sessions
    assert s.title is None and s.date is None
    assert (s.session_format, s.duration_minutes) == ("Round Table - U-shape", 60)
    assert [p.name for p in s.participants] == ["Yuan XU", "Yunqian ZHU", "Yu ZHOU", "Shuyi LOU", "Manuel Ifland", "Adli Wahid", "Zhengxin WEI"]
    assert [i.text for i in s.items if i.kind == "policy_question"][2] == "How should we cooperate with each other to tackle cyber threats?"
    assert [i.text for i in s.items if i.kind == "sdg_goal"][0] == "GOAL 8: Decent Work and Economic Growth"
    assert s.description.startswith("This workshop mainly aims")


def test_diplo_seed(seed_text):
    doc = parse_diplo_report(seed_text("diplo"))
    (s,) = doc.sessions
    assert doc.problems == []
    assert s.series == "Leaders TalkX" and s.event == "WSIS+20 High-Level Event 2025"
    assert len(s.utterances) == 18 and s.utterances[0].speaker == "Introduction"
    assert s.utterances[-1].text.startswith("Muchas gracias")
    assert len(s.arguments) == 23
    first = s.arguments[0]
    assert first.topics == ["Legal and regulatory", "Economic", "Cybersecurity"]
    assert first.agreed_with == ["Matias Gonzalez", "Dimitris Papastergiou"] and first.disagreed_with == ["Sally Wentworth"]
    assert first.discussion_point == "Digital Sovereignty and Regulatory Frameworks"
    assert len(s.agreements) == 14  # the repeated similar viewpoints are merged later, by id
    kinds = {i.kind for i in s.items}
    assert kinds == {"keypoint", "takeaway", "action_item", "unresolved_issue", "suggested_compromise",
                     "thought_provoking_comment", "follow_up_question"}
    comment = next(i for i in s.items if i.kind == "thought_provoking_comment")
    assert comment.speaker == "Fahmi Fadzil (Malaysia)" and comment.reason and comment.impact
    assert s.items[0].label == "Digital Sovereignty and Regulatory Frameworks"
    assert {"overall_purpose", "overall_tone", "full_report", "consensus_level", "disagreement_level"} <= set(s.texts)
    fahmi = next(p for p in s.participants if p.name == "Fahmi Fadzil")
    assert (fahmi.position, fahmi.country, fahmi.speech_speed_wpm) == ("Minister", "Malaysia", 119)
    matias = next(p for p in s.participants if p.name == "Matias Gonzalez")
    assert (matias.position, matias.honorific, matias.country) == (None, "H.E. Mr", "Spain")


def test_concept_seed(seed_text):
    (s,) = parse_concept_note(seed_text("concept")).sessions
    assert (s.title, s.series) == ("Enhancing International Cooperation for Safe and Secure Cyberspace", "Special Session 2")
    assert s.texts["forum_theme"] == "Borderless Security Crises and Multilateral Responses"
    assert [i.text for i in s.items] == [
        "Current trends and prospects in cybersecurity caused by technological advancement",
        "Efforts to build confidence among countries and regions in areas of national defense as well as the public and private sectors",
        "Explore more practical and effective ways to improve international cooperation"]
    assert s.description.count("\n\n") == 3


# --- event page variants -----------------------------------------------------------------------

FRONT = '---\ntitle: "Cyber Resilience Dialogue"\npermalink: /cyber-resilience-dialogue/\nvariant: markdown\n---\n'


def test_isomer_one_bold_run_per_row():
    text = FRONT + ("**3 March 2025**\n*Time: 10.00am to 11.30am (GMT +8)*\n\n|**Speakers**| |\n"
                    "| **Mr John Tan, Director, Ministry of Digital Development, Information and Communications, Singapore** | |\n")
    (s,) = parse_isomer_event(text).sessions
    (p,) = s.participants
    assert (p.name, p.position, p.organization, p.country) == (
        "John Tan", "Director", "Ministry of Digital Development, Information and Communications", "Singapore")
    assert (s.start_time, s.end_time) == (dt.time(10), dt.time(11, 30))


def test_isomer_tiptap_html_table_with_split_spans():
    text = FRONT + ("**4 March 2025**\n\n<table><tbody>"
                    "<tr><td><p><strong>Speakers</strong></p></td></tr>"
                    "<tr><td><p><span>Dr </span><span>Ana</span><span> Souza</span><br>Head of Cyber Diplomacy<br>Ministry of Foreign Affairs<br>Brazil</p></td></tr>"
                    "<tr><td><p>Ms Li Wei [Moderator]<br>Fellow<br>Think Tank, Asia</p></td></tr>"
                    "</tbody></table>\n")
    (s,) = parse_isomer_event(text).sessions
    ana, li = s.participants
    assert (ana.name, ana.honorific, ana.position, ana.organization, ana.country) == (
        "Ana Souza", "Dr", "Head of Cyber Diplomacy", "Ministry of Foreign Affairs", "Brazil")
    assert (li.name, li.roles, li.organization) == ("Li Wei", ["moderator"], "Think Tank, Asia")


def test_isomer_bullets_moderator_line_and_placeholder():
    text = FRONT + ("**5 March 2025**\n\nSpeakers:\n● Mr Kwame Mensah, Chief Executive (Ghana Cyber Authority)\n"
                    "● (Name of Speaker1)\n\nModerator: Ms Sara Lind, Senior Adviser, Nordic Council, Sweden\n")
    doc = parse_isomer_event(text)
    (s,) = doc.sessions
    kwame, sara = s.participants
    assert (kwame.name, kwame.position, kwame.organization, kwame.roles) == ("Kwame Mensah", "Chief Executive", "Ghana Cyber Authority", ["speaker"])
    assert (sara.name, sara.roles, sara.position, sara.organization, sara.country) == (
        "Sara Lind", ["moderator"], "Senior Adviser", "Nordic Council", "Sweden")
    assert any("placeholder" in note for note in doc.notes) and not doc.problems


def test_isomer_several_sessions_on_one_page():
    text = FRONT + ("### Webinar 1: Norms\n**10 June 2025**\nTime: 2.00pm to 3.00pm (GMT +8)\n\n"
                    "| [Mr Alan Lim](/speakers/a/) | *Director*<br>Agency A |\n\n"
                    "### Webinar 2: Capacity\n**17 June 2025**\nTime: 2.00pm to 3.30pm (GMT +8)\n\n"
                    "| [Ms B Rao](/speakers/b/) | *Professor*<br>University B<br>India |\n")
    doc = parse_isomer_event(text)
    assert [(s.title, s.date, s.duration_minutes, [p.name for p in s.participants]) for s in doc.sessions] == [
        ("Webinar 1: Norms", dt.date(2025, 6, 10), 60, ["Alan Lim"]),
        ("Webinar 2: Capacity", dt.date(2025, 6, 17), 90, ["B Rao"])]


def test_isomer_agenda_rows_and_card_grid():
    text = FRONT + ("**6 March 2025**\n\n| 10:00 - 10:15 | Opening remarks by Mr Chan Wai, Minister, Ministry of Defence |\n\n"
                    '<div class="cards"><div class="card"><p>Prof Eva Novak</p><p>Chair<br>Charles University</p></div></div>\n')
    (s,) = parse_isomer_event(text).sessions
    assert [(p.name, p.position, p.organization) for p in s.participants] == [
        ("Chan Wai", "Minister", "Ministry of Defence"), ("Eva Novak", "Chair", "Charles University")]


def test_isomer_invalid_yaml_is_reported_not_fatal():
    text = '---\ntitle: "Broken: [yaml\npermalink: /x/\n---\n**1 May 2025**\n| [Mr Z Ho](/speakers/z/) | *CEO*<br>Firm |\n'
    doc = parse_isomer_event(text)
    assert any("front matter" in p for p in doc.problems)
    assert doc.sessions[0].participants[0].name == "Z Ho"


# --- IGF variants ------------------------------------------------------------------------------

def test_igf_2017_labels():
    text = ("Proposer's Name: Ms. Amina Diallo\nProposer's Organization: Africa Digital Rights Hub\n"
            "Speaker: Dr. Paul Meyer\nSpeaker: Jane Roe\nRelevance to Internet Governance: It matters.\n")
    doc = parse_igf_proposal(text)
    people = doc.sessions[0].participants
    assert [(p.name, p.roles, p.organization) for p in people] == [
        ("Amina Diallo", ["organizer"], "Africa Digital Rights Hub"), ("Paul Meyer", ["speaker"], None), ("Jane Roe", ["speaker"], None)]


def test_igf_2018_label_on_its_own_line():
    text = "Title: Trust in Cyberspace\nModerator\nKarin Berg\nOnline Moderator\nTom Ito\nFormat\nPanel - 90 Min\nGOAL 16: Peace, Justice and Strong Institutions\n"
    (s,) = parse_igf_proposal(text).sessions
    assert s.title == "Trust in Cyberspace"
    assert [(p.name, p.roles) for p in s.participants] == [("Karin Berg", ["moderator"]), ("Tom Ito", ["moderator"])]
    assert (s.session_format, s.duration_minutes) == ("Panel", 90)


def test_igf_2023_dash_lines_numbered_sdgs_surname_first_and_duplicates():
    text = ("Speaker 1: Chen Li - Tsinghua University - Civil Society - Asia-Pacific Group\n"
            "LI Chen, Civil Society, Asia-Pacific Group\n"
            "Speaker 2: Omar Haddad - Gulf CERT - Technical Community - Intergovernmental Organization\n"
            "16. Peace, Justice and Strong Institutions\n9. Industry, Innovation and Infrastructure\n"
            "Policy Questions:\n1. How to share threat data? 2. Who pays for capacity?\n")
    (s,) = parse_igf_proposal(text).sessions
    chen, omar = s.participants
    assert (chen.name, sorted(chen.roles), chen.organization, chen.stakeholder_group) == (
        "Chen Li", ["listed", "speaker"], "Tsinghua University", "Civil Society")
    assert omar.regional_group == "Intergovernmental Organization"
    assert [i.text for i in s.items if i.kind == "sdg_goal"] == [
        "GOAL 16: Peace, Justice and Strong Institutions", "GOAL 9: Industry, Innovation and Infrastructure"]
    assert [i.text for i in s.items if i.kind == "policy_question"] == ["How to share threat data?", "Who pays for capacity?"]


def test_igf_transcript_turns():
    text = "Organizer 1: Ann Lee, NetOrg\n>> ANN LEE: Welcome all.\nWe begin now.\n>> AUDIENCE: Question!\n"
    (s,) = parse_igf_proposal(text).sessions
    assert [(u.speaker, u.text) for u in s.utterances] == [("ANN LEE", "Welcome all. We begin now."), ("AUDIENCE", "Question!")]


# --- DiploAI variants --------------------------------------------------------------------------

DIPLO_VARIANT = """Cyber Games: Team exercise
12 Mar 2024 09:00h - 10:00h
Session at a Glance
Summary
Teams played.
Speakers
– **Team Blue**: Role/Title: Not specified, Area of expertise: Defence
– **Germany**: Role/Title: Delegation, Area of expertise: Norms
– **Dr. Jūratė Šovienė**: Role/Title: Regulator (Lithuania), Area of expertise: Telecoms
Full session report
Team Blue
They defended.
Session transcript
Team Blue: We defend.
Germany: We agree.
Jūratė Šovienė: Indeed.
Team Blue
Speech speed
100 words per minute
Speech length
20 words
Speech time
12 seconds
Defence needs drills
Explanation
Because.
Topics
Cybersecurity
Jūratė Šovienė
Regulators must lead
Explanation
Leading matters.
Evidence
Lithuania
Major discussion point
Regulation
Topics
Legal and regulatory | Cybersecurity
"""


def test_diplo_delegations_teams_and_block_without_statistics():
    doc = parse_diplo_report(DIPLO_VARIANT)
    (s,) = doc.sessions
    assert s.date == dt.date(2024, 3, 12) and s.series == "Cyber Games"
    assert [u.speaker for u in s.utterances] == ["Team Blue", "Germany", "Jūratė Šovienė"]
    assert [(a.speaker, a.text) for a in s.arguments] == [("Team Blue", "Defence needs drills"), ("Jūratė Šovienė", "Regulators must lead")]
    jurate = next(p for p in s.participants if p.name == "Jūratė Šovienė")
    assert (jurate.honorific, jurate.position, jurate.country, jurate.speech_speed_wpm) == ("Dr.", "Regulator", "Lithuania", None)
    assert speaker_kind("Team Blue") == "team" and speaker_kind("Germany") == "delegation"


# --- concept note variants ---------------------------------------------------------------------

def test_concept_guiding_questions_tags_and_roman_series():
    text = ("Digital Futures Forum\n\nSession III\n\nConfidence-Building in Cyberspace\n\nWhy this matters.\n\n"
            "[Moderator] KIM Cheolsu\n[Panel] PARK Jiwoo\n\nGuiding questions:\n\n● What works?\n● What next?\n")
    doc = parse_concept_note(text)
    (s,) = doc.sessions
    assert (s.series, s.title, s.description) == ("Session III", "Confidence-Building in Cyberspace", "Why this matters.")
    assert [(p.name, p.roles) for p in s.participants] == [("KIM Cheolsu", ["moderator"]), ("PARK Jiwoo", ["panellist"])]
    assert [i.text for i in s.items] == ["What works?", "What next?"]
    assert detect_format(text) == "concept_note"


def test_concept_plenary_session_without_space():
    (s,) = parse_concept_note("Theme\nPlenary Session1\nOpening Plenary\nText.\nKey Topics of Discussion\nA\nB\n").sessions
    assert (s.series, s.title, len(s.items)) == ("Plenary Session1", "Opening Plenary", 2)


# --- names and small pieces --------------------------------------------------------------------

@pytest.mark.parametrize("a,b", [("Yuan XU", "Yuan Xu"), ("XU Yuan", "Yuan XU"), ("Jurate Soviene", "Jūratė Šovienė"),
                                 ("Mr David Koh", "David Koh"), ("H.E. Mr. Matias Gonzalez", "Matias Gonzalez"),
                                 ("MatÃas González", "Matías Gonzalez"), ("Craig Spiezle Spiezle", "Craig Spiezle"),
                                 ("Excellency Maria Adebahr", "Prof. Maria Adebahr")])
def test_person_keys_match(a, b):
    assert person_key(a) == person_key(b)


def test_different_people_differ():
    assert person_key("Yuan XU") != person_key("Yu ZHOU")
    assert strip_honorifics("He Yi")[0] == "He Yi"  # a surname, not "H.E."


@pytest.mark.parametrize("label,kind", [("Introduction", "label"), ("Moderator", "label"), ("Audience", "label"),
                                        ("Participant", "label"), ("Chair", "label"), ("Speaker 2", "placeholder"),
                                        ("European Union", "delegation"), ("Team Blue", "team"), ("Lucien Castex", "person")])
def test_speaker_kinds(label, kind):
    assert speaker_kind(label) == kind


def test_dates_times_offsets():
    def day(text):
        (mention,) = find_dates(text)
        return mention.on(None)

    def span(text):
        first = find_times(text)[0]
        return first.start, first.end
    assert day("15 October 2024 (Tuesday)") == dt.date(2024, 10, 15)
    assert day("October 15, 2024") == dt.date(2024, 10, 15)
    assert span("Time: 4.00pm to 5.30pm (GMT +8)") == (dt.time(16), dt.time(17, 30))
    assert span("9 Jul 2025 11:30h - 12:00h") == (dt.time(11, 30), dt.time(12))
    assert span("10 to 11.30am") == (dt.time(10), dt.time(11, 30))
    assert utc_offset("(GMT +8)") == "+08:00" and utc_offset("UTC-05:30") == "-05:30"
    assert split_numbered("1. A? 2. B? 3. C?") == ["A?", "B?", "C?"]


def test_igf_hidden_organizer_names_are_reported_not_invented():
    text = "Organizer 1: Civil Society, Asia-Pacific Group\nOrganizer 2: [hidden], ACME\nSpeaker 1: Ana Silva, Civil Society, African Group\n"
    doc = parse_igf_proposal(text)
    assert [p.name for p in doc.sessions[0].participants] == ["Ana Silva"]
    assert sum("no name given" in p for p in doc.notes) == 2
