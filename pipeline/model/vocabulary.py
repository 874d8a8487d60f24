"""The project's one vocabulary: roles, field labels, and the words that tell a programme row,
a person and an organization apart. Parsers, schemas and documentation read it from here.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.model.text import fold

# Roles as recorded: lower-case, singular, one spelling each; a parse lists a person's roles in this
# order (the tables sort them alphabetically).
ROLES = ("moderator", "chair", "co-chair", "guest of honour", "keynote", "speaker", "panellist", "presenter",
         "discussant", "briefer", "expert", "convener", "arbitrator", "expert witness", "counsel", "facilitator",
         "organizer", "rapporteur", "attendee", "listed")

# The other closed word lists of the tables (schemas/tables.py checks every value against these).
STATUSES = ("parsed", "partial", "duplicate", "rejected")
AGREEMENT_KINDS = ("agreement", "similar_viewpoints", "unexpected_consensus", "disagreement",
                   "unexpected_difference", "partial_agreement")
AGREEING = ("agreement", "similar_viewpoints", "unexpected_consensus", "partial_agreement")
DISAGREEING = ("disagreement", "unexpected_difference")
SPEAKER_KINDS = ("person", "label", "delegation", "team", "placeholder")
ITEM_KINDS = ("keypoint", "takeaway", "action_item", "unresolved_issue", "suggested_compromise",
              "thought_provoking_comment", "follow_up_question", "policy_question", "key_topic", "sdg_goal")
DUPLICATE_METHODS = ("exact", "near", "mirror")

# What a page calls a role -> the role recorded (folded label, plural or singular).
_ROLE_WORDS = {
    "moderator": "moderator", "moderators": "moderator", "online moderator": "moderator",
    "on site moderator": "moderator", "onsite moderator": "moderator", "co moderator": "moderator",
    "moderated by": "moderator", "facilitated by": "facilitator", "host": "moderator", "mc": "moderator",
    "chair": "chair", "chairs": "chair", "chaired by": "chair", "chairperson": "chair", "chairman": "chair",
    "session chair": "chair", "panel chair": "chair", "chair moderator": "moderator",
    "co chair": "co-chair", "co chairs": "co-chair", "session co chairs": "co-chair", "co chaired by": "co-chair",
    "speaker": "speaker", "speakers": "speaker", "invited speakers": "speaker", "invited speaker": "speaker",
    "guest speaker": "speaker", "guest speakers": "speaker", "featured speakers": "speaker",
    "speakers provisionally confirmed": "speaker", "confirmed speakers": "speaker", "additional speakers": "speaker",
    "opening remarks": "speaker", "welcome remarks": "speaker", "opening remarks were provided by": "speaker",
    "keynote": "keynote", "keynote speaker": "keynote", "keynote speakers": "keynote", "keynote address": "keynote",
    "keynotes": "keynote", "keynote speech": "keynote",
    "panellist": "panellist", "panellists": "panellist", "panelist": "panellist", "panelists": "panellist",
    "panel": "panellist", "panel members": "panellist", "participants": "panellist", "discussants": "discussant",
    "discussant": "discussant", "presenter": "presenter", "presenters": "presenter", "presented by": "presenter",
    "presentation": "presenter", "presentations": "presenter", "featuring": "presenter",
    "briefer": "briefer", "briefers": "briefer", "expert": "expert", "experts": "expert",
    "convener": "convener", "conveners": "convener", "convenor": "convener", "convenors": "convener",
    "arbitrator": "arbitrator", "arbitrators": "arbitrator", "expert witness": "expert witness",
    "expert witnesses": "expert witness", "counsel": "counsel", "facilitator": "facilitator",
    "facilitators": "facilitator", "guest of honour": "guest of honour", "guest of honor": "guest of honour",
    "organizer": "organizer", "organizers": "organizer", "organiser": "organizer", "organisers": "organizer",
    "organizer s": "organizer", "session organizers": "organizer", "proposer": "organizer", "co proposer": "organizer",
    "lead organizers": "organizer", "rapporteur": "rapporteur", "rapporteurs": "rapporteur",
    "rapporteur notetaker": "rapporteur", "note taker": "rapporteur", "chair moderator s": "moderator",
}


# compiled once: role_of compiles nothing per label it has not seen yet
_TRAILING_NUMBER = re.compile(r"\s*\d+\s*$")
_FILLER_WORDS = re.compile(r"\b(the|our|and|with)\b")


@lru_cache(maxsize=4096)
def role_of(label: str | None) -> str | None:
    """The role a label names ("Panellists:", "Online Moderator", "Session Co-Chairs") or None."""
    if not label:
        return None
    key = fold(_TRAILING_NUMBER.sub("", label))  # "Speaker 3" -> speaker
    key = _FILLER_WORDS.sub(" ", key)
    key = " ".join(key.split())
    if key in _ROLE_WORDS:
        return _ROLE_WORDS[key]
    words = key.split()
    if words and words[-1] in _ROLE_WORDS and len(words) <= 3:
        return _ROLE_WORDS[words[-1]]
    return None


# Field labels a form or an event page writes as "Label: value" (folded). The value is the field.
FIELD_LABELS = {
    "date": "date", "dates": "date", "date and time": "date", "date time": "date", "when": "date",
    "day": "date", "event date": "date", "session date": "date",
    "time": "time", "times": "time", "session time": "time", "timing": "time",
    "venue": "venue", "venues": "venue", "location": "venue", "where": "venue", "place": "venue", "room": "venue",
    "event": "event", "title": "title", "session title": "title", "session": "title", "topic": "topic",
    "organised by": "organizers", "organized by": "organizers", "hosted by": "organizers", "host": "organizers",
    "in collaboration with": "organizers", "supported by": "organizers", "in partnership with": "organizers",
    "website": "url", "url": "url", "contact email": "contact", "email": "contact", "enquiries": "contact",
    "contact": "contact", "registration": "registration", "register": "registration", "dress code": "other",
    "event description": "description", "description": "description", "about this session": "description",
    "format": "format", "session format": "format", "session type": "format", "duration": "duration",
    "duration minutes": "duration", "theme": "theme", "subtheme": "theme", "tags": "tags", "tag": "tags",
    "published": "published", "posted": "published", "posted on": "published", "published on": "published",
    "last updated": "published", "updated": "published",
    "policy question s": "policy_questions", "policy questions": "policy_questions",
    "key topics": "key_topics", "key topics of discussion": "key_topics", "focus questions": "key_topics",
    "guiding questions": "key_topics", "specific questions for panelists": "key_topics",
    "proposer s name": "organizer", "co proposer s name": "organizer", "proposer s organization": "organization",
    "co proposer s organization": "organization", "organizational affiliation": "organization",
    "country": "country", "stakeholder group": "stakeholder_group", "participation": "other",
}


@lru_cache(maxsize=8192)
def field_of(label: str | None) -> str | None:
    """The field a label names: a FIELD_LABELS field, "role" for a role label, else None."""
    if not label:
        return None
    key = " ".join(fold(label).split())
    if key in FIELD_LABELS:
        return FIELD_LABELS[key]
    if re.fullmatch(r"tag\s*\d+", key):
        return "tags"
    return "role" if role_of(label) else None


# Programme rows that are not sessions: registration, breaks, meals, networking, the end of a day.
_NOT_SESSION = re.compile(
    r"^(?:(?:morning|afternoon|evening|welcome|coffee|tea|lunch|networking|comfort|health|short|long)\s+)*"
    r"(?:registration|check[- ]in|arrival|break|breaks|coffee|tea|lunch|luncheon|breakfast|dinner|reception|"
    r"refreshments?|networking|adjourn(?:ment)?|end of (?:the )?(?:event|day|programme|program|conference|session)"
    r"|end|close|closing of the day|serving of breakfast|continental breakfast|group photo|photo session|"
    r"doors open|free time|transfer|prayer|summing up|vote of thanks|closing formalities)\b", re.I)
_NOT_SESSION_ANYWHERE = re.compile(
    r"\b(?:registration and|registration &|& breakfast|and breakfast|with lunch|& lunch|networking session with|"
    r"end of (?:the )?(?:event|day|programme|conference)|coffee break|tea break|lunch break|networking break|"
    r"networking lunch|networking reception|dinner reception|registration & networking)\b", re.I)


def is_break(title: str | None) -> bool:
    """Registration, breaks, meals, networking and "end of event" rows are not sessions; "Networking Break:
    Poster Sessions will present ..." is a break by the words before its colon."""
    if not title:
        return False
    text = title.strip(" .:*-–")
    head = text.split(":", 1)[0]
    if head != text and is_break(head):
        return True
    if _NOT_SESSION.match(text) and len(text.split()) <= 8:
        return True
    return bool(_NOT_SESSION_ANYWHERE.search(text)) and len(text.split()) <= 10


# Titles that name a part of a meeting rather than a meeting of its own: a programme made only of
# these is the segments of one session ("Welcome Address / Keynote Address / Questions and Answers").
_SEGMENT = re.compile(
    r"^(?:official\s+|special\s+)?(?:welcome|welcoming|opening|introductory|closing|concluding)?\s*"
    r"(?:address|remarks|speech|words|session|ceremony|welcome|introduction|overview|keynote(?: address| speech)?|"
    r"q\s*&\s*a|questions? (?:and|&) answers?|questions|discussion|open discussion|panel discussion|"
    r"summing up|wrap[- ]up|vote of thanks|networking|fireside chat)?\s*(?:and|&)?\s*"
    r"(?:q\s*&\s*a|questions? (?:and|&) answers?|discussion|networking)?$", re.I)


def is_segment_title(title: str | None) -> bool:
    if not title:
        return True
    text = re.sub(r"\s*\(.*?\)\s*", " ", title).strip(" .:*-–")
    return bool(text) and bool(_SEGMENT.match(text)) and len(text.split()) <= 6


# Words that make a capitalised phrase an organization, a position or something else, never a person.
ORG_WORDS = frozenset("""
ministry ministries department agency authority office council commission committee board bureau directorate
university universities college school institute institution institutions academy centre center foundation trust
association society federation union league alliance coalition network forum group groups corporation corp company
companies co ltd limited inc llc llp plc pte gmbh bv sa ag holdings partners partnership bank fund government
parliament senate congress assembly court tribunal chambers mission embassy consulate secretariat organisation
organization organizations organisations programme program project initiative services service systems technologies
technology labs lab laboratory laboratories solutions consulting consultancy media news times press journal
hospital police army navy force forces command nations un unesco itu icann oecd osce nato asean interpol
observatory think tank platform hub chapter division unit team teams cluster body bodies nations
community movement agencies council councils firm institute institutes
""".split())

POSITION_WORDS = frozenset("""
director directors minister ministers secretary secretaries head chief officer president vice chairman chairwoman
chairperson chair ceo cto cio ciso coo cfo founder co-founder cofounder manager managing lead leader advisor adviser
adviser consultant professor lecturer researcher fellow analyst engineer architect scientist specialist coordinator
representative ambassador envoy commissioner counsellor counselor deputy assistant associate senior principal
partner editor journalist reporter correspondent judge justice attorney lawyer advocate student intern member
governor mayor senator congressman congresswoman councillor councilor officer executive evangelist designer
developer strategist economist expert programme program officer dean rector provost chancellor general colonel
major captain admiral lieutenant commander sergeant spokesperson spokesman rapporteur moderator speaker panellist
panelist host presenter trainer teacher professor emeritus doctor physician nurse administrator superintendent
avp vp svp evp gm md dg ddg coo
""".split())

# Words that never appear in a personal name written as one: headings, formats, calls to action.
NOT_NAME_WORDS = frozenset("""
panel discussion session sessions keynote address remarks opening closing welcome introduction conclusion
conclusions workshop workshops webinar webinars presentation presentations programme program agenda schedule
registration break lunch coffee dinner networking reception q&a questions answers overview summary report
moderator moderators speaker speakers panellists panelists panellist panelist chair chairs rapporteur organizer
organizers organiser organisers participants participant audience delegates delegation team teams
click here register read more learn watch download join us view map back top speech speeches dialogue
forum conference summit meeting event events day days week track stream room venue date time
cyber cybersecurity security digital internet data technology technologies ai government policy international
she he it we they you i me us them his her its got get there here about into over
national global public private sector society civil community technical academia industry business
award awards ceremony launch exhibition showcase tour demo demos video livestream recording slides deck
the and of for in on at with by to from our your their this that these those what why who when where
is are was were will be has have can not no yes all any each every new latest update updates
news press release media photo photos picture image caption group
affairs relations development cooperation defence defense foreign trade finance communications information
innovation economy economic strategy strategic policies question questions overarching specific
optional closed tbc tbd none summing thanks vote contact primary secondary topic topics key areas focus
""".split())

# Stakeholder groups and regional groups (IGF forms) are never organizations.
STAKEHOLDER_GROUPS = frozenset(fold(s) for s in (
    "Civil Society", "Government", "Governement", "Private Sector", "Technical Community", "Academia",
    "Intergovernmental Organization", "Intergovernmental Organisation", "Civil Society Organisation",
    "Civil Society Organization", "Parliament", "Youth", "Other", "Press", "Media", "International Organization",
    "Governmental", "Business",
))
REGIONAL_GROUPS = frozenset(fold(s) for s in (
    "African Group", "Asia-Pacific Group", "Asia Pacific Group", "Eastern European Group",
    "Latin American and Caribbean Group (GRULAC)", "Latin American and Caribbean Group", "GRULAC",
    "Western European and Others Group (WEOG)", "Western European and Others Group", "WEOG",
    "Intergovernmental Organization", "Asia Pacific", "Asia-Pacific",
))
GENDERS = frozenset({"male", "female", "transgender male", "transgender female", "gender variant",
                     "prefer not to answer", "non binary", "nonbinary"})
