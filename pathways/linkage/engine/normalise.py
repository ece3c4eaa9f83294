"""Prepare a linkage frame for the model: clean names, canonical nicknames, phonetic keys,
phone and ZIP digits, date-of-birth parts and a short address key.

Work is done once per distinct value (names, addresses and dates repeat a lot), then mapped
back with pandas, so a million rows take seconds. The output columns are those in
:data:`PREPARED_COLUMNS`; missing values are ``None`` (never ``''``) so the model's null
levels see them, and list columns are ``None`` when empty.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Hashable
from typing import Any

import jellyfish
import pandas as pd  # type: ignore[import-untyped]

from .records import validate

#: columns of a prepared frame holding integers (``dob_days``: days since 1900-01-01)
INT_COLUMNS: frozenset[str] = frozenset({"dob_days"})

#: columns of a prepared frame (the model's input)
PREPARED_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "source",
    "first_name",
    "first_canon",
    "first_meta",
    "first_initial",
    "first_is_family",
    "middle_name",
    "last_name",
    "last_meta",
    "last_meta_2",
    "given_names",
    "surnames",
    "dob",
    "dob_swapped",
    "dob_year",
    "dob_month",
    "dob_day",
    "dob_days",
    "sex",
    "postal_code",
    "postal_3",
    "address",
    "house_number",
    "phone",
    "ext_ids",
    "ext_systems",
)

#: surname particles that are not a surname on their own ("de la Cruz", "van der Berg")
PARTICLES: frozenset[str] = frozenset(
    {"de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos", "van", "von", "der"}
    | {"den", "di", "du", "le", "st", "bin", "ibn", "al", "el", "mc"}
)

#: common East and Southeast Asian family names, which records often write in the given-name
#: field (family name first). A first name in this set may be a family name: the twins check
#: then also compares the other name fields. (Widely held knowledge of common surnames, not
#: taken from any data set.)
FAMILY_NAMES_WRITTEN_FIRST: frozenset[str] = frozenset(
    [
        "wang",
        "li",
        "zhang",
        "liu",
        "chen",
        "yang",
        "huang",
        "zhao",
        "wu",
        "zhou",
        "xu",
        "sun",
        "ma",
        "zhu",
        "hu",
        "guo",
        "he",
        "lin",
        "gao",
        "luo",
        "zheng",
        "liang",
        "xie",
        "song",
        "tang",
        "han",
        "feng",
        "deng",
        "cao",
        "peng",
        "zeng",
        "xiao",
        "tian",
        "dong",
        "pan",
        "yuan",
        "cai",
        "jiang",
        "yu",
        "du",
        "ye",
        "cheng",
        "wei",
        "su",
        "lu",
        "ding",
        "ren",
        "shen",
        "yao",
        "jin",
        "fang",
        "wong",
        "chan",
        "leung",
        "lam",
        "cheung",
        "ho",
        "ng",
        "chow",
        "lau",
        "tsang",
        "yip",
        "chu",
        "lee",
        "kim",
        "park",
        "choi",
        "jung",
        "jeong",
        "kang",
        "cho",
        "yoon",
        "jang",
        "lim",
        "oh",
        "seo",
        "shin",
        "kwon",
        "hwang",
        "ahn",
        "yoo",
        "hong",
        "chung",
        "nguyen",
        "tran",
        "le",
        "pham",
        "hoang",
        "huynh",
        "phan",
        "vu",
        "vo",
        "dang",
        "bui",
        "do",
        "ngo",
        "duong",
        "ly",
        "sato",
        "suzuki",
        "takahashi",
        "tanaka",
        "watanabe",
        "ito",
        "yamamoto",
        "nakamura",
        "kobayashi",
        "kato",
    ]
)

#: nicknames whose canonical name the nicknames package leaves ambiguous; these win
NICKNAME_OVERRIDES: dict[str, str] = {
    "bill": "william",
    "billy": "william",
    "will": "william",
    "willy": "william",
    "willie": "william",
    "liam": "william",
    "bob": "robert",
    "bobby": "robert",
    "rob": "robert",
    "robbie": "robert",
    "mike": "michael",
    "mikey": "michael",
    "mick": "michael",
    "micheal": "michael",
    "dan": "daniel",
    "danny": "daniel",
    "jack": "john",
    "johnny": "john",
    "jon": "john",
    "hank": "henry",
    "chuck": "charles",
    "charlie": "charles",
    "tony": "anthony",
    "alex": "alexander",
    "sasha": "alexander",
    "chris": "christopher",
    "kris": "christopher",
    "pat": "patrick",
    "patty": "patricia",
    "trish": "patricia",
    "sam": "samuel",
    "sammy": "samuel",
    "ann": "anne",
    "annie": "anne",
    "anna": "anne",
    "jo": "joanne",
    "joe": "joseph",
    "joey": "joseph",
    "jim": "james",
    "jimmy": "james",
    "jamie": "james",
    "kate": "katherine",
    "katie": "katherine",
    "kathy": "katherine",
    "cathy": "katherine",
    "catherine": "katherine",
    "kathryn": "katherine",
    "liz": "elizabeth",
    "beth": "elizabeth",
    "betty": "elizabeth",
    "lizzie": "elizabeth",
    "peggy": "margaret",
    "maggie": "margaret",
    "meg": "margaret",
    "tom": "thomas",
    "tommy": "thomas",
    "dick": "richard",
    "rick": "richard",
    "ricky": "richard",
    "rich": "richard",
    "ted": "edward",
    "ed": "edward",
    "eddie": "edward",
    "steve": "stephen",
    "steven": "stephen",
    "matt": "matthew",
    "dave": "david",
    "nick": "nicholas",
    "andy": "andrew",
    "drew": "andrew",
    "greg": "gregory",
    "jen": "jennifer",
    "jenny": "jennifer",
    "sue": "susan",
    "susie": "susan",
    "debbie": "deborah",
    "deb": "deborah",
    "barb": "barbara",
    "vicky": "victoria",
    "becky": "rebecca",
    "pepe": "jose",
    "chepe": "jose",
    "paco": "francisco",
    "pancho": "francisco",
    "nacho": "ignacio",
    "lupe": "guadalupe",
    "chucho": "jesus",
    "memo": "guillermo",
    "beto": "alberto",
    "lalo": "eduardo",
    "chuy": "jesus",
    "toni": "antonia",
    "tere": "teresa",
    "lola": "dolores",
    "concha": "concepcion",
    "rosy": "rosa",
}

_LIST_COLUMNS = frozenset({"given_names", "surnames", "ext_ids", "ext_systems"})
_NON_NAME = re.compile(r"[^a-z\s-]")
_SPACES = re.compile(r"[\s-]+")
_NON_DIGIT = re.compile(r"\D")


def _fold(text: str) -> str:
    """Lower-case ASCII folding: 'José Núñez' -> 'jose nunez'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def clean_name(value: Any) -> str | None:
    """Lower-case, ASCII-fold, drop punctuation (apostrophes and dots vanish, hyphens and
    commas become spaces); ``None`` when nothing is left."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = _fold(value).replace(",", " ").replace(".", " ")
    text = text.replace("'", "").replace("\u2019", "")
    text = _NON_NAME.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return text or None


def surname_parts(cleaned: str | None) -> list[str]:
    """The parts of a cleaned surname without particles, then the whole (if it has parts):
    'garcia lopez' -> ['garcia', 'lopez', 'garcia lopez']; 'de la cruz' -> ['cruz',
    'de la cruz']."""
    if not cleaned:
        return []
    tokens = cleaned.split(" ")
    parts = [t for t in tokens if t not in PARTICLES and len(t) > 1]
    if len(tokens) > 1:
        parts.append(cleaned)
    return list(dict.fromkeys(parts)) or [cleaned]


@functools.cache
def _nicknamer() -> Any:
    from nicknames import NickNamer

    return NickNamer()


@functools.cache
def canonical_first_name(name: str) -> str:
    """A stable canonical form of a cleaned first name (its first word).

    The override table wins; a name the nicknames package knows as a formal name with
    nicknames of its own stays itself; a pure nickname goes to the formal name with the most
    nicknames (ties: alphabetical). Idempotent: canonical(canonical(x)) == canonical(x)."""
    word = name.split(" ")[0]
    if word in NICKNAME_OVERRIDES:
        return NICKNAME_OVERRIDES[word]
    namer = _nicknamer()
    if namer.nicknames_of(word):
        return word
    formal = [c for c in namer.canonicals_of(word) if namer.nicknames_of(c)]
    if not formal:
        return word
    best = str(sorted(formal, key=lambda c: (-len(namer.nicknames_of(c)), c))[0])
    return NICKNAME_OVERRIDES.get(best, best)


def _metaphone(word: str | None) -> str | None:
    if not word:
        return None
    return jellyfish.metaphone(word) or None


def _map_unique(series: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    """Apply ``fn`` once per distinct value of ``series``."""
    uniques = series.dropna().unique()
    lookup: dict[Hashable, Any] = {value: fn(value) for value in uniques}
    return series.map(lookup)


def _none_if_blank(series: pd.Series) -> pd.Series:
    out = series.astype(object).where(series.notna() & (series.astype(str) != ""), None)
    return out


def _split_aliases(value: Any) -> tuple[list[str], list[str]]:
    """Given names and surnames named in an aliases string ('Bobby Smith|Garcia, Rosa')."""
    if not isinstance(value, str) or not value.strip():
        return [], []
    given: list[str] = []
    surnames: list[str] = []
    for alias in value.split("|"):
        if "," in alias:
            last, _, first = alias.partition(",")
        else:
            words = alias.strip().split()
            if not words:
                continue
            first, last = words[0], " ".join(words[1:])
        first_clean = clean_name(first)
        last_clean = clean_name(last)
        if first_clean:
            given.append(first_clean.split(" ")[0])
        surnames.extend(surname_parts(last_clean))
    return given, surnames


def _ext(value: Any) -> tuple[list[str] | None, list[str] | None]:
    if not isinstance(value, str) or not value.strip():
        return None, None
    ids = sorted({item.strip().lower() for item in value.split("|") if ":" in item})
    if not ids:
        return None, None
    systems = sorted({item.split(":", 1)[0] for item in ids})
    return ids, systems


def _zip5(value: Any) -> str | None:
    """ZIP5 from '60601-1234' or '60601'; ``None`` unless five digits are there."""
    if not isinstance(value, str):
        return None
    digits = _NON_DIGIT.sub("", value)[:5]
    return digits if len(digits) == 5 else None


def _phone10(value: Any) -> str | None:
    """The last ten digits of a phone number ('+1 (312) 555-0101' -> '3125550101')."""
    if not isinstance(value, str):
        return None
    digits = _NON_DIGIT.sub("", value)[-10:]
    return digits if len(digits) == 10 else None


def _address_key(value: Any) -> tuple[str | None, str | None]:
    """(house number + first street word, house number): '1200 N. Main St Apt 4' ->
    ('1200 n', '1200')... words of one letter (directions) are skipped: ('1200 main')."""
    if not isinstance(value, str) or not value.strip():
        return None, None
    words = re.sub(r"[^a-z0-9\s]", " ", _fold(value)).split()
    if not words:
        return None, None
    number = words[0] if words[0][:1].isdigit() else None
    rest = words[1:] if number else words
    directions = {"n", "s", "e", "w", "ne", "nw", "se", "sw", "north", "south", "east", "west"}
    street = next((w for w in rest if w not in directions and len(w) > 1), None)
    if not street and not number:
        return None, None
    key = " ".join(p for p in (number, street) if p)
    return key, number


def prepare(df: pd.DataFrame, *, check: bool = True) -> pd.DataFrame:
    """The prepared (model input) frame for a linkage frame. Idempotent: a frame that is
    already prepared is returned as it is."""
    if "first_canon" in df.columns and "given_names" in df.columns:
        return df
    if check:
        validate(df)
    out = pd.DataFrame({"unique_id": df["unique_id"].astype(str).to_numpy()})
    out["source"] = _none_if_blank(df["source"]).to_numpy()

    first = _map_unique(df["first_name"], clean_name)
    middle = _map_unique(df["middle_name"], clean_name)
    last = _map_unique(df["last_name"], clean_name)
    out["first_name"] = first.to_numpy()
    out["first_canon"] = _map_unique(first, canonical_first_name).to_numpy()
    first_word = _map_unique(first, lambda n: n.split(" ")[0])
    out["first_meta"] = _map_unique(first_word, _metaphone).to_numpy()
    out["first_initial"] = _map_unique(first, lambda n: n[:1]).to_numpy()
    out["first_is_family"] = _map_unique(
        first_word, lambda n: "y" if n in FAMILY_NAMES_WRITTEN_FIRST else None
    ).to_numpy()
    out["middle_name"] = middle.to_numpy()
    out["last_name"] = last.to_numpy()
    parts = _map_unique(last, surname_parts)
    out["last_meta"] = _map_unique(last, lambda n: _metaphone(surname_parts(n)[0])).to_numpy()
    out["last_meta_2"] = _map_unique(
        last, lambda n: _metaphone(surname_parts(n)[max(0, len(surname_parts(n)) - 2)])
    ).to_numpy()

    alias_split = _map_unique(df["aliases"], _split_aliases)
    given_lists: list[list[str] | None] = []
    surname_lists: list[list[str] | None] = []
    canon_of = out["first_canon"].to_numpy()
    middle_arr = middle.to_numpy()
    first_arr = first.to_numpy()
    for f, c, m, p, a in zip(
        first_arr, canon_of, middle_arr, parts.to_numpy(), alias_split.to_numpy(), strict=True
    ):
        given: list[str] = []
        if isinstance(f, str):
            given.extend(f.split(" "))
            given.append(c)
        if isinstance(m, str):
            given.extend(m.split(" "))
        surnames: list[str] = list(p) if isinstance(p, list) else []
        if isinstance(a, tuple):
            given.extend(a[0])
            given.extend(canonical_first_name(g) for g in a[0])
            surnames.extend(a[1])
        given_lists.append(sorted({g for g in given if len(g) > 1}) or None)
        surname_lists.append(sorted(set(surnames)) or None)
    out["given_names"] = given_lists
    out["surnames"] = surname_lists

    dob = _none_if_blank(df["dob"])
    dob_str = dob.astype("string")
    year = dob_str.str[0:4]
    month = dob_str.str[5:7]
    day = dob_str.str[8:10]
    swappable = (day.astype("Float64") <= 12) & (day != month)
    swapped = (year + "-" + day + "-" + month).where(swappable.fillna(False))
    out["dob"] = dob.to_numpy()
    out["dob_swapped"] = swapped.astype(object).where(swapped.notna(), None).to_numpy()
    for name, series in (("dob_year", year), ("dob_month", month), ("dob_day", day)):
        out[name] = series.astype(object).where(series.notna(), None).to_numpy()

    # positional (the input's index need not be 0..n-1)
    days = pd.to_datetime(pd.Series(dob_str.to_numpy()), format="%Y-%m-%d", errors="coerce")
    day_numbers = (days - pd.Timestamp("1900-01-01")).dt.days.to_numpy()
    out["dob_days"] = pd.Series(
        [None if pd.isna(v) else int(v) for v in day_numbers], dtype=object
    ).to_numpy()

    sex = _none_if_blank(df["sex"]).map(lambda s: None if s in (None, "unknown") else s)
    out["sex"] = sex.to_numpy()

    postal = _map_unique(df["postal_code"], _zip5)
    out["postal_code"] = postal.to_numpy()
    out["postal_3"] = _map_unique(postal, lambda z: z[:3]).to_numpy()

    address = _map_unique(df["address"], _address_key)
    out["address"] = [a[0] if isinstance(a, tuple) else None for a in address.to_numpy()]
    out["house_number"] = [a[1] if isinstance(a, tuple) else None for a in address.to_numpy()]

    out["phone"] = _map_unique(df["phone"], _phone10).to_numpy()

    ext = _map_unique(df["ext_ids"], _ext)
    out["ext_ids"] = [e[0] if isinstance(e, tuple) else None for e in ext.to_numpy()]
    out["ext_systems"] = [e[1] if isinstance(e, tuple) else None for e in ext.to_numpy()]
    for column in PREPARED_COLUMNS:
        if column not in _LIST_COLUMNS and column not in INT_COLUMNS:
            values = out[column].astype(object)
            out[column] = values.where(values.notna(), None)
    return out[list(PREPARED_COLUMNS)]
