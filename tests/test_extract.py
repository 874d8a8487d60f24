"""The agenda engine, people, prose and dates on variant documents written here (one per layout rule);
the labelled corpus under ../shared/corpus measures the same rules on real documents."""
from __future__ import annotations

import datetime as dt

import pytest

from pipeline.extract.people import is_person_name, parse_affiliation, parse_person_line, split_people
from pipeline.extract.prose import people_in_prose
from pipeline.sources import parse_document

FRONT = '---\ntitle: "{title}"\npermalink: /{slug}/\nvariant: tiptap\n---\n'


def sessions(text: str, fmt: str | None = None):
    return parse_document(text, fmt).sessions


def people(session) -> list[tuple]:
    return [(p.name, p.roles, p.organization) for p in session.participants]


# -- programmes -------------------------------------------------------------------------------------

def test_programme_table_rows_are_sessions_breaks_are_not_and_the_year_comes_from_the_title():
    text = FRONT.format(title="Digital Ports Briefing 2022", slug="ports") + (
        "<p><strong>Date:</strong> 12 May<br><strong>Time:</strong> 9:00 am – 12:00 pm</p><table><tbody>"
        "<tr><th>Time</th><th>Programme</th></tr>"
        "<tr><td>8:30am</td><td>Registration and coffee</td></tr>"
        "<tr><td>9:00am</td><td><strong>Ports on the Cloud</strong><br>Mei Tan, Director, Port Authority</td></tr>"
        "<tr><td>10:00am</td><td><strong>Panel Discussion<br>Data at Sea</strong><br>Moderator: Raj Kumar, Head, Sea Lab</td></tr>"
        "<tr><td>11:30am</td><td>End of Event</td></tr></tbody></table>")
    found = sessions(text)
    assert [(s.title, s.date, s.start_time) for s in found] == [
        ("Ports on the Cloud", dt.date(2022, 5, 12), dt.time(9)), ("Data at Sea", dt.date(2022, 5, 12), dt.time(10))]
    assert people(found[0]) == [("Mei Tan", ["speaker"], "Port Authority")]
    assert people(found[1]) == [("Raj Kumar", ["moderator"], "Sea Lab")]


def test_time_led_lines_nested_slots_are_one_session_and_a_break_is_a_boundary():
    text = ("Harbour Security Day\n\n09:00 - 09:15 Welcome Remarks\n\nWelcome by Ada Moss, Director, Harbour Institute.\n\n"
            "09:15 - 10:30 Keynote and Panel: Who Guards the Cables?\n\n09:15 - 09:35 Keynote Address: Omar Haddad, Cable Union\n\n"
            "09:35 - 10:30 Panel Discussion\n\nLina Berg, Chief Engineer, Nordic Grid\nPaul Otieno, Adviser, Coastal Agency\n\n"
            "Chair: Ada Moss, Director, Harbour Institute\n\n10:30 - 10:50 BREAK\n\n10:50 - 11:30 Closing Dialogue\n")
    found = sessions(text)
    assert [(s.title, s.start_time, s.end_time) for s in found] == [
        ("Welcome Remarks", dt.time(9), dt.time(9, 15)),
        ("Keynote and Panel: Who Guards the Cables?", dt.time(9, 15), dt.time(10, 30)),
        ("Closing Dialogue", dt.time(10, 50), dt.time(11, 30))]
    panel = {p.name: (p.roles, p.organization) for p in found[1].participants}
    assert panel == {"Omar Haddad": (["keynote"], "Cable Union"), "Lina Berg": (["panellist"], "Nordic Grid"),
                     "Paul Otieno": (["panellist"], "Coastal Agency"), "Ada Moss": (["moderator"], "Harbour Institute")}


def test_a_time_on_its_own_line_takes_the_title_below_it_skipping_rooms():
    text = ("Monday, June 3rd, 2024\n\n16:00\n\nRoom 2 | Main Hall\n\nAnnual General Assembly\n\n"
            "19:00\n\nNetworking Dinner\n\n20:00\n\nNight Talk on Quantum Risk\n")
    found = sessions(text)
    assert [(s.title, s.date, s.start_time) for s in found] == [
        ("Annual General Assembly", dt.date(2024, 6, 3), dt.time(16)), ("Night Talk on Quantum Risk", dt.date(2024, 6, 3), dt.time(20))]


def test_title_then_time_after_a_pipe():
    text = ("Agenda – Grid Summit\n\n2021-04-12 Monday\nOpening Keynote | 09:35 – 09:50 (CEST) | 15 min.\n"
            "Panel Discussion:\nGrids under Pressure | 10:00 – 11:00 (CEST) | 60 min.\n")
    found = sessions(text)
    assert [(s.title, s.date, s.start_time, s.utc_offset) for s in found] == [
        ("Opening Keynote", dt.date(2021, 4, 12), dt.time(9, 35), None),
        ("Grids under Pressure", dt.date(2021, 4, 12), dt.time(10), None)]


def test_a_short_meeting_with_its_own_time_holds_its_segments():
    text = FRONT.format(title="Calendar", slug="calendar") + (
        "<h4>Robots at Work</h4><p><b>Date: 4 Nov 2021</b><br><b>Time: 10:00am – 11:15am</b></p>"
        "<p><b>Programme:</b><br><b>10:00am – 10:20am:</b> Opening remarks by Robo Society<br>"
        "<b>10:20am – 11:15am:</b> Panel Discussion and Q&A</p><ul><li>Nia Park, CEO, RoboCo</li>"
        "<li>Moderator: Eli Stone, Editor, Tech Weekly</li></ul>"
        "<h4>Women in Quantum</h4><p><b>Date: 9 Nov 2021</b><br><b>Time: 7:00pm – 8:00pm</b></p><p>An evening talk.</p>")
    found = sessions(text)
    assert [(s.title, s.date, s.start_time, s.end_time) for s in found] == [
        ("Robots at Work", dt.date(2021, 11, 4), dt.time(10), dt.time(11, 15)),
        ("Women in Quantum", dt.date(2021, 11, 9), dt.time(19), dt.time(20))]
    assert {p.name: p.roles for p in found[0].participants} == {"Nia Park": ["panellist"], "Eli Stone": ["moderator"]}


def test_a_programme_of_segment_names_is_one_session():
    text = FRONT.format(title="CIO Breakfast with Mr Lee Wei", slug="cio") + (
        "<table><tr><th>Time</th><th>Programme</th></tr><tr><td>07:30 - 08:00</td><td>Registration</td></tr>"
        "<tr><td>08:00 - 08:10</td><td><b>Welcome Address</b></td></tr><tr><td>08:10 - 08:50</td><td><b>Keynote Address</b>"
        "<br>Mr. Lee Wei<br>Permanent Secretary, Digital Office</td></tr><tr><td>08:50 - 09:30</td><td><b>Questions and Answers</b>"
        "</td></tr></table><table><tr><td>Date:</td><td>5 June 2019, 0730AM - 0930AM</td></tr></table>")
    (session,) = sessions(text)
    assert (session.title, session.start_time) == ("CIO Breakfast with Mr Lee Wei", dt.time(7, 30))
    assert [p.name for p in session.participants] == ["Lee Wei"]


def test_several_titled_items_in_one_programme_cell():
    text = FRONT.format(title="Industry Day", slug="day") + (
        "<table><tr><td>3:45pm</td><td><strong>Identity for All</strong><br>Sam Yeo, Director, ID Office<br>"
        "<strong>Dialogue: Services that Work</strong><br>Tan Mei, CIO, Ministry of Education<br>Moderator: Ravi Das, CEO, "
        "CIO Academy</td></tr></table>")
    found = sessions(text)
    assert [(s.title, s.start_time) for s in found] == [("Identity for All", dt.time(15, 45)), ("Dialogue: Services that Work", None)]
    assert people(found[1]) == [("Tan Mei", ["speaker"], "Ministry of Education"), ("Ravi Das", ["moderator"], "CIO Academy")]


# -- pages of several events ---------------------------------------------------------------------------

def test_webinar_cards_with_prose_dates_and_speaker_lists():
    text = FRONT.format(title="Webinar Series 2020", slug="webinars") + (
        "<p>Our webinars.</p><h3><strong>Cloud First</strong></h3><p>In this webinar held on 15 July 2020, we discussed:</p>"
        "<ul><li><p>Cloud plans;</p></li><li><p>Skills</p></li></ul><p>Speakers:</p><ul><li><p>Mr Joe Lim, Director, Cloud Office</p>"
        "</li></ul><p>Moderator: Ms Kay Ong, Chair, Cloud Chapter, Tech Society</p><h3><strong>Data Next</strong></h3>"
        "<p>In this webinar held on 2 June 2020, Mr Sam Goh, GovLab's Director, discussed data.</p>")
    found = sessions(text)
    assert [(s.title, s.date) for s in found] == [("Cloud First", dt.date(2020, 7, 15)), ("Data Next", dt.date(2020, 6, 2))]
    assert people(found[0]) == [("Joe Lim", ["speaker"], "Cloud Office"), ("Kay Ong", ["moderator"], "Tech Society")]
    assert [i.text for i in found[0].items] == ["Cloud plans;", "Skills"]
    assert [p.name for p in found[1].participants] == ["Sam Goh"]


def test_events_with_their_own_date_and_time_and_titled_sub_sessions():
    text = FRONT.format(title="Law Week 2021", slug="law-week") + (
        "<h4>Experts Conference</h4><p><b>Date and Time:</b> 6 Sep, 9am - 12.40pm</p>"
        "<p><b>SESSION 1: EXPERTS IN FOCUS</b></p><p>Moderator:</p><ul><li>Prof Lee Chew - President, Experts Institute</li></ul>"
        "<p>Panellists:</p><ul><li>Ms Jo Rane – Partner, Rane LLP</li></ul>"
        "<h4>Mediation Lecture</h4><p><b>Date and Time:</b> 7 Sep, 3.30pm - 5pm</p><h4>Arbitration Day</h4><p>Soon.</p>")
    found = sessions(text)
    assert [(s.title, s.date, s.start_time) for s in found] == [
        ("Experts Conference", dt.date(2021, 9, 6), dt.time(9)), ("SESSION 1: EXPERTS IN FOCUS", dt.date(2021, 9, 6), None),
        ("Mediation Lecture", dt.date(2021, 9, 7), dt.time(15, 30)), ("Arbitration Day", None, None)]
    assert people(found[1]) == [("Lee Chew", ["moderator"], "Experts Institute"), ("Jo Rane", ["panellist"], "Rane LLP")]


def test_a_listing_of_titles_with_descriptions_without_times():
    text = ("Conference sessions\n\nOpening Keynotes Session\n\nSea Law after the Storm (Law)\n\n"
            "The session looks at what coastal states may do when cables are cut, and what the courts have said so far "
            "about collective responses in the last ten years.\n\nNetworks from Ship to Shore (Tech)\n\n"
            "Network security at sea is the focus of this session, from ship networks to satellite links and the "
            "ports that connect them to the wider internet.\n")
    assert [s.title for s in sessions(text, "concept_note")] == [
        "Opening Keynotes Session", "Sea Law after the Storm (Law)", "Networks from Ship to Shore (Tech)"]


# -- titles that carry speakers ----------------------------------------------------------------------------

@pytest.mark.parametrize("cell,title,name,org", [
    ("Opening remarks by Dr Ana Silva, Director, Cyber Institute", "Opening remarks", "Ana Silva", "Cyber Institute"),
    ("Welcome Address by GridCo – Ms Mei Tan, Director (Innovation)", "Welcome Address by GridCo", "Mei Tan", "GridCo"),
    ("Keynote Address: Omar Haddad, Cable Union", "Keynote Address", "Omar Haddad", "Cable Union"),
    ("Opening remarksNina–Rose Hale, Vice-President, Public Affairs, MegaSoft", "Opening remarks", "Nina–Rose Hale", "MegaSoft"),
    ("Keynote speech by Polish Minister of Digital Affairs Jan Nowak", "Keynote speech", "Jan Nowak", None),
])
def test_attribution_is_split_off_the_title(cell, title, name, org):
    text = f"Grid Day 2024\n\n10 May 2024\n\n10:00 - 10:15 {cell}\n\n10:15 - 12:00 Panel on Grids\n"
    first = sessions(text)[0]
    assert first.title == title
    assert [(p.name, p.organization) for p in first.participants] == [(name, org)]


@pytest.mark.parametrize("cell", ["Digital Blueprint: A Year Later", "Engagement Sessions with Light Refreshments",
                                  "Micro-Workshops: Accessibility Dojo", "SESSION III : Conventional War, Cyberspace & Sovereignty"])
def test_a_colon_or_with_in_a_title_is_not_a_speaker(cell):
    text = f"Grid Day 2024\n\n10 May 2024\n\n10:00 - 10:15 {cell}\n\n10:15 - 12:00 Panel on Grids\n"
    first = sessions(text)[0]
    assert (first.title, first.participants) == (cell, [])


# -- people -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("line,expected", [
    ("Kwok Sin, Senior Director, National Identity, GovTech", ("Kwok Sin", "Senior Director, National Identity", "GovTech", None)),
    ("Lt. General (Ret.) Harry D. Raduege, Jr., Chairman, Deloitte Center for Cyber Innovation; Honorary Chair, EWI",
     ("Harry D. Raduege, Jr.", "Chairman", "Deloitte Center for Cyber Innovation", None)),
    ("His Excellency Minister Kapil Sibal, Ministry of IT & Communications, India",
     ("Kapil Sibal", None, "Ministry of IT & Communications", "India")),
    ("Mr John Tan, Director, Ministry of Digital Development, Information and Communications, Singapore",
     ("John Tan", "Director", "Ministry of Digital Development, Information and Communications", "Singapore")),
    ("David Farber (Carnegie Mellon University): USA Perspective", ("David Farber", None, "Carnegie Mellon University", None)),
    ("Mr Kwame Mensah, Chief Executive (Ghana Cyber Authority)", ("Kwame Mensah", "Chief Executive", "Ghana Cyber Authority", None)),
    ("Carme Artigas, Co-Chair of the United Nations High-Level Advisory Body on AI",
     ("Carme Artigas", "Co-Chair", "United Nations High-Level Advisory Body on AI", None)),
])
def test_person_lines_split_as_the_conventions_say(line, expected):
    info = parse_person_line(line)
    assert (info.name, info.position, info.organization, info.country) == expected


@pytest.mark.parametrize("text", ["Opening Address", "Registration and refreshments", "A11y Team", "Digital Blueprint",
                                  "MOCK ARBITRATION", "Ministry of Foreign Affairs", "Lithuania", "Civil Society",
                                  "How She Got There"])
def test_headings_teams_organizations_and_places_are_no_people(text):
    assert not is_person_name(text)


def test_lists_of_people_with_and_and_brackets():
    listed = split_people("Eunice Chan, Vice President, Government Engagement and Joan Kang, Director, Product Management")
    assert [p.name for p in listed] == ["Eunice Chan", "Joan Kang"]
    listed = split_people("Meilinda Tjan (Solution Engineer), Cecily Ng (AVP and GM), Ridhi Talgeri (Intern from Ngee Ann Poly)")
    assert [(p.name, p.organization) for p in listed] == [
        ("Meilinda Tjan", None), ("Cecily Ng", None), ("Ridhi Talgeri", "Ngee Ann Poly")]


def test_people_in_prose():
    text = ("The panel featured Dr. Ana Silva, Executive Director of the Cyber Foundation; Bo Chen, journalist for Daily "
            "News; and Ambassador Kim Lee. Sara Lind, Editor-in-Chief of Geneva Notes, moderated the discussion. "
            "Keynote speaker Omar Haddad, President of the Office of Communications in Poland, opened. Nia Park, "
            "representing Kenya’s National Cyber Council, spoke. A tribute was paid to the late John Smith. "
            "The event, titled “Cyber Diplomacy: Assessing Outcomes”, ended.")
    found = {m.person.name: (m.role, m.person.organization, m.person.country) for m in people_in_prose(text)}
    assert found == {"Ana Silva": ("presenter", "Cyber Foundation", None), "Bo Chen": (None, "Daily News", None),
                     "Kim Lee": (None, None, None), "Sara Lind": ("moderator", "Geneva Notes", None),
                     "Omar Haddad": ("keynote", "Office of Communications", "Poland"),
                     "Nia Park": (None, "National Cyber Council", "Kenya")}


def test_refused_names_are_notes_not_problems():
    text = FRONT.format(title="Cyber Day", slug="cyber-day") + (
        "<p><b>Date:</b> 1 May 2025</p><p>Speakers:</p><ul><li>(Name of Speaker 1)</li><li>Dr Ann Lee, Director, X Lab</li></ul>")
    doc = parse_document(text)
    assert [p.name for p in doc.sessions[0].participants] == ["Ann Lee"]
    assert doc.notes == ["refused as a person: '(Name of Speaker 1)' (a placeholder)"] and doc.problems == []


def test_affiliation_of_a_person_on_lines_of_their_own_stays_whole():
    info = parse_affiliation("Director for Cyber Policy")
    assert (info.position, info.organization) == ("Director for Cyber Policy", None)


# -- dates and document state -------------------------------------------------------------------------

def test_a_post_date_is_not_an_event_date_and_conflicting_years_give_none():
    text = '---\ntitle: "Recap"\ndate: 2021-01-20\npermalink: /recap/\n---\n**Opening Address**\n\nMr Frederick Tan opened.\n'
    (session,) = sessions(text)
    assert session.date is None
    text = "Forum 2019 and 2020\n\nThe forum on 3rd July, Sat\n\nSpeaker: Dr Ann Lee, Director, X Lab\n"
    assert sessions(text)[0].date is None


def test_a_document_cut_mid_sentence_is_marked_truncated():
    text = ("Cyber Talk\n\n12 March 2024, 8.00am - 9.30am\n\nSpeaker: Dr Aisha Rahman, Director, Cyber Policy Institute\n\n"
            "The talk will look at how states can work together on incident response and what that means for the gove")
    doc = parse_document(text)
    assert doc.truncated and len(doc.problems) == 1
    assert doc.problems[0].startswith("the text stops mid-sentence") and doc.problems[0].endswith("means for the gove'")
