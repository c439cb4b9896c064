"""Names that are also everyday words in the languages we serve (folded: lower case, no accents).

A name part on this list is redacted on its own only where it reads as a name (see ``names``):
"Hi Will," loses the name, "I will call" keeps its verb. Full names are always redacted.
Tenants add their own with ``RedactionRules.ambiguous_names``.
"""

from __future__ import annotations

_WORDS = (
    # English
    "will may mark bill rose grace hope joy faith june april august summer autumn dawn sunny sky rich frank"
    " earl guy art pat sue ray max jack bob rob drew chase hunter cash miles penny holly ivy lily pearl ruby"
    " amber iris robin hazel violet daisy crystal destiny harmony melody river rain storm wade lane dale dean"
    " gene don ken bud chip buck cliff glen heath sandy young king long little short white brown green black"
    " gray grey rice bell hall wall page wood field bush moss stone price cook baker taylor carter miller"
    " mason porter parker fisher hill lee van sol luz"
    # Dutch
    " ben wil wim roos lot jet fleur kim bas bart els noor sterre jade mees koen loes an jan kees"
    " bakker visser smit mulder boer koning jong vries kok bos veen vos"
    # German
    " ernst kurt otto golf koch wolf vogel bauer fischer schneider weber becker sommer winter hahn"
    # French / Spanish
    " pierre rosa dolores mercedes pilar paz soledad blanca clemence constance prudence"
    # Greek (folded)
    " ελπιδα νικη ειρηνη χαρα αγαπη σοφια ζωη ελευθερια μαργαριτα δοξα αρετη αυγη ανθη ανθουλα"
    " σωτηρια ευτυχια ηλιασ φωτεινη"
)
AMBIGUOUS_NAMES = frozenset(_WORDS.split())
