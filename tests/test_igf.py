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
