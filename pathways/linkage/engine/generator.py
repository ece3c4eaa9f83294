"""Synthetic people and their records, corrupted like real police, EMS and provider data,
with the truth kept (``true_id``) so linkage can be scored.

Deterministic for a seed (one ``random.Random``; no global state). Hard cases included:
typos, nicknames, hyphenated or one of two surnames, given and family names swapped, dates
of birth with day and month swapped or the year off by one, moves, missing fields, aliases,
twins (same surname, date of birth and address, another first name: never the same person)
and very common names with different dates of birth.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from .normalise import NICKNAME_OVERRIDES
from .records import COLUMNS

GROUPS: dict[str, float] = {
    "White": 0.42,
    "Black": 0.22,
    "Hispanic/Latino": 0.20,
    "Asian": 0.10,
    "American Indian": 0.06,
}

_FIRST: dict[str, dict[str, list[str]]] = {
    "White": {
        "male": [
            "James",
            "John",
            "Robert",
            "Michael",
            "William",
            "David",
            "Richard",
            "Joseph",
            "Thomas",
            "Charles",
            "Christopher",
            "Daniel",
            "Matthew",
            "Anthony",
            "Mark",
            "Donald",
            "Steven",
            "Paul",
            "Andrew",
            "Joshua",
            "Kenneth",
            "Kevin",
            "Brian",
            "George",
            "Timothy",
            "Ronald",
            "Edward",
            "Jason",
            "Jeffrey",
            "Ryan",
            "Jacob",
            "Gary",
            "Nicholas",
            "Eric",
            "Jonathan",
            "Stephen",
            "Larry",
            "Justin",
            "Scott",
            "Brandon",
            "Benjamin",
            "Samuel",
            "Gregory",
            "Alexander",
            "Frank",
            "Patrick",
            "Raymond",
            "Jack",
            "Dennis",
            "Jerry",
            "Tyler",
            "Aaron",
            "Henry",
            "Douglas",
            "Peter",
            "Adam",
            "Nathan",
            "Zachary",
            "Walter",
            "Kyle",
            "Harold",
            "Carl",
            "Arthur",
            "Gerald",
            "Roger",
            "Keith",
            "Jeremy",
            "Lawrence",
            "Sean",
            "Christian",
            "Ethan",
            "Austin",
            "Joe",
            "Albert",
            "Jesse",
            "Willie",
            "Billy",
            "Bryan",
            "Bruce",
            "Noah",
            "Logan",
            "Wayne",
            "Ralph",
            "Roy",
            "Eugene",
            "Randy",
            "Vincent",
            "Russell",
            "Louis",
            "Philip",
            "Bobby",
            "Johnny",
            "Bradley",
        ],
        "female": [
            "Mary",
            "Patricia",
            "Jennifer",
            "Linda",
            "Elizabeth",
            "Barbara",
            "Susan",
            "Jessica",
            "Sarah",
            "Karen",
            "Lisa",
            "Nancy",
            "Betty",
            "Margaret",
            "Sandra",
            "Ashley",
            "Kimberly",
            "Emily",
            "Donna",
            "Michelle",
            "Carol",
            "Amanda",
            "Dorothy",
            "Melissa",
            "Deborah",
            "Stephanie",
            "Rebecca",
            "Sharon",
            "Laura",
            "Cynthia",
            "Kathleen",
            "Amy",
            "Angela",
            "Shirley",
            "Anna",
            "Brenda",
            "Pamela",
            "Emma",
            "Nicole",
            "Helen",
            "Samantha",
            "Katherine",
            "Christine",
            "Debra",
            "Rachel",
            "Carolyn",
            "Janet",
            "Catherine",
            "Heather",
            "Diane",
            "Ruth",
            "Julie",
            "Olivia",
            "Joyce",
            "Virginia",
            "Victoria",
            "Kelly",
            "Lauren",
            "Christina",
            "Joan",
            "Evelyn",
            "Judith",
            "Megan",
            "Andrea",
            "Cheryl",
            "Hannah",
            "Jacqueline",
            "Martha",
            "Gloria",
            "Teresa",
            "Ann",
            "Sara",
            "Madison",
            "Frances",
            "Kathryn",
            "Janice",
            "Jean",
            "Abigail",
            "Alice",
            "Judy",
            "Sophia",
            "Grace",
            "Denise",
            "Amber",
            "Doris",
            "Marilyn",
            "Danielle",
            "Beverly",
            "Isabella",
        ],
    },
    "Black": {
        "male": [
            "DeShawn",
            "Jamal",
            "Tyrone",
            "Darnell",
            "Terrell",
            "Marcus",
            "Andre",
            "Jerome",
            "Malik",
            "Darius",
            "Lamar",
            "Reginald",
            "Cedric",
            "Dwayne",
            "Maurice",
            "Tremaine",
            "Jalen",
            "DeAndre",
            "Kendrick",
            "Rashad",
            "Jermaine",
            "Demetrius",
            "Terrence",
            "Xavier",
            "Isaiah",
            "Elijah",
            "Jaylen",
            "Trevon",
            "Devonte",
            "Quentin",
            "Leroy",
            "Otis",
            "Curtis",
            "Willie",
            "Calvin",
            "Alonzo",
            "Cornelius",
            "Rodney",
            "Clarence",
            "Darryl",
            "Antoine",
            "Kareem",
            "Tariq",
            "Omari",
            "Jamar",
            "Keon",
            "Marquis",
            "Desmond",
            "Roderick",
            "Byron",
            "Michael",
            "James",
            "Anthony",
            "Christopher",
            "Kevin",
            "Brandon",
            "Marquise",
            "Corey",
            "Jordan",
            "Cameron",
            "Derrick",
            "Lionel",
            "Percy",
            "Booker",
        ],
        "female": [
            "Keisha",
            "Latoya",
            "Tamika",
            "Shanice",
            "Imani",
            "Ebony",
            "Aaliyah",
            "Jasmine",
            "Tiana",
            "Monique",
            "Latasha",
            "Shaniqua",
            "Precious",
            "Destiny",
            "Kiara",
            "Nia",
            "Aisha",
            "Tanisha",
            "Yolanda",
            "Lakisha",
            "Shameka",
            "Tierra",
            "Jada",
            "Makayla",
            "Brianna",
            "Alexis",
            "Diamond",
            "Essence",
            "Ayanna",
            "Kenya",
            "Octavia",
            "Felicia",
            "Gwendolyn",
            "Bernice",
            "Loretta",
            "Denise",
            "Regina",
            "Angela",
            "Sharonda",
            "Tonya",
            "Latonya",
            "Kimberly",
            "Crystal",
            "Dominique",
            "Raven",
            "Asia",
            "Zaria",
            "Janae",
            "Deja",
            "Trinity",
            "Naomi",
            "Ciara",
            "Marquita",
            "Shante",
            "Patrice",
            "Rochelle",
            "Wanda",
            "Valerie",
        ],
    },
    "Hispanic/Latino": {
        "male": [
            "Jose",
            "Juan",
            "Luis",
            "Carlos",
            "Jesus",
            "Miguel",
            "Antonio",
            "Francisco",
            "Alejandro",
            "Manuel",
            "Pedro",
            "Ricardo",
            "Fernando",
            "Javier",
            "Roberto",
            "Eduardo",
            "Jorge",
            "Rafael",
            "Sergio",
            "Mario",
            "Raul",
            "Armando",
            "Hector",
            "Oscar",
            "Ramon",
            "Enrique",
            "Alberto",
            "Guillermo",
            "Arturo",
            "Ignacio",
            "Gerardo",
            "Rodrigo",
            "Salvador",
            "Ernesto",
            "Andres",
            "Julio",
            "Victor",
            "Diego",
            "Mateo",
            "Santiago",
            "Joaquin",
            "Emilio",
            "Rogelio",
            "Adrian",
            "Cesar",
            "Ruben",
            "Hugo",
            "Gustavo",
            "Alfredo",
            "Felipe",
            "Israel",
            "Tomas",
            "Esteban",
        ],
        "female": [
            "Maria",
            "Guadalupe",
            "Juana",
            "Rosa",
            "Ana",
            "Carmen",
            "Gabriela",
            "Veronica",
            "Alejandra",
            "Patricia",
            "Elena",
            "Adriana",
            "Leticia",
            "Yolanda",
            "Margarita",
            "Sofia",
            "Lucia",
            "Isabel",
            "Daniela",
            "Valeria",
            "Ximena",
            "Mariana",
            "Fernanda",
            "Paola",
            "Claudia",
            "Teresa",
            "Silvia",
            "Norma",
            "Araceli",
            "Graciela",
            "Dolores",
            "Concepcion",
            "Esperanza",
            "Luz",
            "Marisol",
            "Yesenia",
            "Brenda",
            "Beatriz",
            "Lorena",
            "Monica",
            "Alicia",
            "Raquel",
            "Sandra",
            "Irma",
            "Martha",
            "Liliana",
            "Rocio",
            "Karina",
            "Jimena",
            "Catalina",
        ],
    },
    "Asian": {
        "male": [
            "Wei",
            "Jun",
            "Hao",
            "Ming",
            "Jian",
            "Lei",
            "Tao",
            "Yong",
            "Minh",
            "Tuan",
            "Duc",
            "Hung",
            "Quang",
            "Anh",
            "Thanh",
            "Hiroshi",
            "Takashi",
            "Kenji",
            "Daisuke",
            "Min-jun",
            "Ji-hoon",
            "Sung",
            "Hyun",
            "Jae",
            "Raj",
            "Arjun",
            "Vikram",
            "Rahul",
            "Amit",
            "Sanjay",
            "Rohan",
            "Kevin",
            "David",
            "Eric",
            "Jason",
            "Andrew",
            "Daniel",
            "Ryan",
            "Kenneth",
            "Vinh",
            "Long",
            "Bao",
            "Khanh",
            "Sang",
            "Dong",
            "Chen",
            "Yi",
            "Rui",
            "Kai",
        ],
        "female": [
            "Mei",
            "Li",
            "Xiu",
            "Ying",
            "Hui",
            "Yan",
            "Lan",
            "Fang",
            "Jing",
            "Lin",
            "Thi",
            "Ngoc",
            "Hanh",
            "Hoa",
            "Linh",
            "Mai",
            "Thu",
            "Yuki",
            "Keiko",
            "Akiko",
            "Haruka",
            "Ji-woo",
            "Seo-yeon",
            "Min-ji",
            "Eun",
            "Priya",
            "Anjali",
            "Deepa",
            "Sunita",
            "Kavya",
            "Neha",
            "Grace",
            "Michelle",
            "Jennifer",
            "Amy",
            "Christine",
            "Tiffany",
            "Vivian",
            "Helen",
            "Cindy",
            "Trang",
            "Phuong",
            "Huong",
            "Yen",
            "Xin",
            "Yu",
            "Qing",
        ],
    },
    "American Indian": {
        "male": [
            "Joseph",
            "Dakota",
            "Cheveyo",
            "Hania",
            "Chaske",
            "Ahiga",
            "Nashoba",
            "Tokala",
            "Elan",
            "Kele",
            "Wapi",
            "Hakan",
            "Ohanzee",
            "Enapay",
            "Kohana",
            "Mato",
            "Sani",
            "Michael",
            "Robert",
            "William",
            "Thomas",
            "Raymond",
            "Leonard",
            "Wilson",
            "Franklin",
            "Lorenzo",
            "Tyler",
            "Cody",
            "Shane",
            "Dustin",
            "Travis",
            "Jared",
            "Darrell",
            "Vernon",
            "Marvin",
            "Delbert",
            "Floyd",
            "Lyle",
            "Clifford",
            "Wendell",
        ],
        "female": [
            "Aiyana",
            "Winona",
            "Kimi",
            "Tala",
            "Nita",
            "Halona",
            "Ayasha",
            "Onawa",
            "Chenoa",
            "Sahkyo",
            "Dyani",
            "Aponi",
            "Kaya",
            "Leotie",
            "Shada",
            "Mary",
            "Sarah",
            "Marie",
            "Ruth",
            "Irene",
            "Loretta",
            "Sharon",
            "Lorraine",
            "Bernadette",
            "Arlene",
            "Rita",
            "Darlene",
            "Roberta",
            "Gloria",
            "Carla",
            "Tasha",
            "Shawna",
            "Nicole",
            "Brandy",
            "Crystal",
            "Cheyenne",
            "Savannah",
            "Sierra",
        ],
    },
}

_LAST: dict[str, list[str]] = {
    "White": [
        "Smith",
        "Johnson",
        "Williams",
        "Brown",
        "Jones",
        "Miller",
        "Davis",
        "Wilson",
        "Anderson",
        "Taylor",
        "Thomas",
        "Moore",
        "Martin",
        "Thompson",
        "White",
        "Clark",
        "Lewis",
        "Robinson",
        "Walker",
        "Young",
        "Allen",
        "King",
        "Wright",
        "Scott",
        "Hill",
        "Green",
        "Adams",
        "Baker",
        "Nelson",
        "Carter",
        "Mitchell",
        "Roberts",
        "Turner",
        "Phillips",
        "Campbell",
        "Parker",
        "Evans",
        "Edwards",
        "Collins",
        "Stewart",
        "Morris",
        "Murphy",
        "Cook",
        "Rogers",
        "Morgan",
        "Peterson",
        "Cooper",
        "Reed",
        "Bailey",
        "Bell",
        "Kelly",
        "Howard",
        "Ward",
        "Cox",
        "Richardson",
        "Wood",
        "Watson",
        "Brooks",
        "Bennett",
        "Gray",
        "Hughes",
        "Price",
        "Sanders",
        "Myers",
        "Long",
        "Ross",
        "Foster",
        "Powell",
        "Jenkins",
        "Perry",
        "Russell",
        "Sullivan",
        "Fisher",
        "Henderson",
        "Coleman",
        "Patterson",
        "Jordan",
        "Graham",
        "Reynolds",
        "Hamilton",
        "Ford",
        "Wallace",
        "Gibson",
        "Marshall",
        "Owens",
        "Kennedy",
        "Wells",
        "O'Brien",
        "McDonald",
        "O'Connor",
        "Schmidt",
        "Mueller",
        "Novak",
        "Kowalski",
        "Larsen",
        "Olson",
        "Hansen",
        "Becker",
        "Schneider",
        "Wagner",
        "Hoffman",
        "Klein",
        "Weber",
        "Fitzgerald",
        "MacLeod",
        "Van Dyke",
    ],
    "Black": [
        "Williams",
        "Johnson",
        "Smith",
        "Jones",
        "Brown",
        "Jackson",
        "Davis",
        "Thomas",
        "Harris",
        "Robinson",
        "Taylor",
        "Wilson",
        "Moore",
        "White",
        "Washington",
        "Lewis",
        "Walker",
        "Thompson",
        "Jefferson",
        "Green",
        "Young",
        "Allen",
        "Scott",
        "Wright",
        "Hill",
        "Coleman",
        "Banks",
        "Carter",
        "Freeman",
        "Mitchell",
        "Brooks",
        "Simmons",
        "Gaines",
        "Hawkins",
        "Dixon",
        "Ware",
        "Tucker",
        "Battle",
        "Mosley",
        "Charles",
        "Pierre",
        "Toussaint",
        "Baptiste",
        "Jean",
        "Okafor",
        "Mensah",
        "Diallo",
        "Abdullah",
        "Muhammad",
        "Greene",
        "Payne",
        "Holmes",
        "Bryant",
        "Rivers",
        "Booker",
        "Boykin",
        "Stokes",
        "Franklin",
        "Grant",
        "Sims",
        "Glover",
        "Whitfield",
        "Ellison",
        "McCoy",
        "Drummond",
        "Hairston",
        "Pettaway",
        "Mayfield",
    ],
    "Hispanic/Latino": [
        "Garcia",
        "Rodriguez",
        "Martinez",
        "Hernandez",
        "Lopez",
        "Gonzalez",
        "Perez",
        "Sanchez",
        "Ramirez",
        "Torres",
        "Flores",
        "Rivera",
        "Gomez",
        "Diaz",
        "Morales",
        "Reyes",
        "Cruz",
        "Ortiz",
        "Gutierrez",
        "Chavez",
        "Ramos",
        "Ruiz",
        "Alvarez",
        "Mendoza",
        "Castillo",
        "Jimenez",
        "Moreno",
        "Romero",
        "Herrera",
        "Medina",
        "Aguilar",
        "Vargas",
        "Castro",
        "Guzman",
        "Fernandez",
        "Mendez",
        "Salazar",
        "Soto",
        "Delgado",
        "Pena",
        "Rios",
        "Vasquez",
        "Contreras",
        "Nunez",
        "Espinoza",
        "Sandoval",
        "Guerrero",
        "Estrada",
        "Navarro",
        "Cabrera",
        "Fuentes",
        "Ibarra",
        "Serrano",
        "De la Cruz",
        "Del Toro",
        "De Leon",
        "Villanueva",
        "Zamora",
        "Orozco",
    ],
    "Asian": [
        "Nguyen",
        "Tran",
        "Le",
        "Pham",
        "Kim",
        "Lee",
        "Park",
        "Choi",
        "Wang",
        "Li",
        "Zhang",
        "Liu",
        "Chen",
        "Yang",
        "Huang",
        "Zhao",
        "Wu",
        "Zhou",
        "Xu",
        "Sun",
        "Ma",
        "Zhu",
        "Hu",
        "Guo",
        "Lin",
        "Ho",
        "Vo",
        "Dang",
        "Bui",
        "Do",
        "Huynh",
        "Tanaka",
        "Suzuki",
        "Sato",
        "Takahashi",
        "Watanabe",
        "Ito",
        "Yamamoto",
        "Nakamura",
        "Patel",
        "Shah",
        "Singh",
        "Kumar",
        "Gupta",
        "Sharma",
        "Reddy",
        "Rao",
        "Chung",
        "Kang",
        "Cho",
        "Yoon",
        "Jang",
        "Lim",
        "Han",
        "Shin",
        "Wong",
        "Chan",
        "Leung",
        "Cheung",
        "Yip",
        "Chu",
        "Khan",
        "Lam",
    ],
    "American Indian": [
        "Begay",
        "Yazzie",
        "Benally",
        "Tsosie",
        "Nez",
        "Tso",
        "Harjo",
        "Attakai",
        "Chee",
        "Etsitty",
        "Manygoats",
        "Running Bear",
        "Two Bulls",
        "Little Thunder",
        "Red Cloud",
        "Whitehorse",
        "Spotted Elk",
        "Black Elk",
        "Iron Shell",
        "Cornsilk",
        "Deer",
        "Goodshield",
        "Bird",
        "Hawk",
        "Wolf",
        "Smith",
        "Johnson",
        "Jim",
        "Joe",
        "Charley",
        "Tom",
        "Jack",
        "Silversmith",
        "Lente",
        "Lucero",
        "Chavez",
        "Yellowhair",
        "Blackgoat",
        "Bitsui",
        "Descheenie",
        "Tohee",
        "Sandoval",
        "Hale",
        "Wauneka",
        "Redhouse",
    ],
}

_STREETS = [
    "Main",
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Walnut",
    "Lincoln",
    "Jackson",
    "Church",
    "Highland",
    "Madison",
    "Franklin",
    "Sunset",
    "Ridge",
    "River",
    "Spring",
    "Meadow",
    "Forest",
    "Cherry",
    "Willow",
    "Chestnut",
    "Jefferson",
    "Adams",
    "Grant",
    "Monroe",
    "Lee",
    "Union",
    "Center",
    "Mill",
    "Water",
    "High",
    "Broad",
    "Prospect",
    "Liberty",
]
_SUFFIXES = ("St", "Ave", "Rd", "Blvd", "Dr", "Ln", "Ct", "Way", "Pl")
_SOURCES = ("pathways", "arrest", "ems", "cad", "provider")
_TYPO_LETTERS = "abcdefghijklmnopqrstuvwxyz"


_NICKS: dict[str, list[str]] = defaultdict(list)
for _nick, _formal in NICKNAME_OVERRIDES.items():
    _NICKS[_formal].append(_nick)


def _zipf(rng: random.Random, items: Sequence[str], s: float = 1.0) -> str:
    weights = [1 / (rank + 1) ** s for rank in range(len(items))]
    return rng.choices(items, weights=weights)[0]


@dataclass
class _Person:
    true_id: str
    group: str
    sex: str
    first: str
    middle: str | None
    last: str
    second_last: str | None
    dob: dt.date
    zip: str
    address: str
    phone: str | None
    dl: str | None
    jail: str | None
    asian_order: bool


def _typo(rng: random.Random, word: str) -> str:
    """One edit (substitute, delete, insert or transpose), rarely at the first letter."""
    if len(word) < 3:
        return word
    chars = list(word)
    position = rng.randrange(1, len(chars)) if rng.random() < 0.92 else 0
    kind = rng.choice(("sub", "del", "ins", "swap"))
    letter = rng.choice(_TYPO_LETTERS)
    if kind == "sub":
        chars[position] = letter if chars[position].islower() else letter.upper()
    elif kind == "del":
        del chars[position]
    elif kind == "ins":
        chars.insert(position, letter)
    elif position < len(chars) - 1:
        chars[position], chars[position + 1] = chars[position + 1], chars[position]
    else:
        chars[position - 1], chars[position] = chars[position], chars[position - 1]
    return "".join(chars)


def _dob(rng: random.Random) -> dt.date:
    start = dt.date(1945, 1, 1).toordinal()
    end = dt.date(2007, 12, 31).toordinal()
    return dt.date.fromordinal(rng.randint(start, end))


def _phone(rng: random.Random) -> str:
    return f"{rng.randint(200, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"


def _address(rng: random.Random) -> str:
    return f"{rng.randint(1, 9899)} {rng.choice(_STREETS)} {rng.choice(_SUFFIXES)}"


def _zip(rng: random.Random, zips: Sequence[str]) -> str:
    return rng.choice(zips)


def _person(rng: random.Random, number: int, zips: Sequence[str]) -> _Person:
    group = rng.choices(list(GROUPS), weights=list(GROUPS.values()))[0]
    sex = "female" if rng.random() < 0.5 else "male"
    first = _zipf(rng, _FIRST[group][sex], 0.6)
    middle = _zipf(rng, _FIRST[group][sex], 0.6) if rng.random() < 0.45 else None
    last = _zipf(rng, _LAST[group], 0.9)
    second = None
    if group == "Hispanic/Latino" and rng.random() < 0.55:
        second = _zipf(rng, _LAST[group], 0.9)
        if second == last:
            second = None
    # very common names: many Maria Garcias and James Smiths with different dates of birth
    if rng.random() < 0.04:
        first, last, second = {
            "Hispanic/Latino": (("Maria", "Jose")[sex == "male"], "Garcia", None),
            "White": (("Mary", "James")[sex == "male"], "Smith", None),
            "Black": (("Keisha", "Michael")[sex == "male"], "Johnson", None),
            "Asian": (("Mei", "Wei")[sex == "male"], "Nguyen", None),
            "American Indian": (("Mary", "Joseph")[sex == "male"], "Begay", None),
        }[group]
    return _Person(
        true_id=f"p{number:08d}",
        group=group,
        sex=sex,
        first=first,
        middle=middle,
        last=last,
        second_last=second,
        dob=_dob(rng),
        zip=_zip(rng, zips),
        address=_address(rng),
        phone=_phone(rng) if rng.random() < 0.75 else None,
        dl=f"IL{rng.randint(10**9, 10**10 - 1)}" if rng.random() < 0.45 else None,
        jail=str(rng.randint(100000, 999999)) if rng.random() < 0.35 else None,
        asian_order=group == "Asian" and rng.random() < 0.5,
    )


def _twin(rng: random.Random, person: _Person, number: int) -> _Person:
    sex = "female" if rng.random() < 0.5 else "male"
    names = [n for n in _FIRST[person.group][sex] if n[0] != person.first[0]]
    return _Person(
        true_id=f"p{number:08d}",
        group=person.group,
        sex=sex,
        first=rng.choice(names),
        middle=None,
        last=person.last,
        second_last=person.second_last,
        dob=person.dob,
        zip=person.zip,
        address=person.address,
        phone=person.phone if rng.random() < 0.5 else None,
        dl=f"IL{rng.randint(10**9, 10**10 - 1)}" if rng.random() < 0.45 else None,
        jail=str(rng.randint(100000, 999999)) if rng.random() < 0.35 else None,
        asian_order=person.asian_order,
    )


def _first_variant(rng: random.Random, person: _Person) -> tuple[str | None, str | None]:
    """(first name, alias) as a record writes it."""
    first = person.first
    roll = rng.random()
    alias = None
    if roll < 0.10 and first.lower() in _NICKS:
        first = rng.choice(_NICKS[first.lower()]).capitalize()
    elif roll < 0.17:
        first = _typo(rng, first)
    elif roll < 0.19:
        return None, None
    elif roll < 0.21 and person.middle:
        # goes by the middle name; the first name kept as an alias
        alias = f"{first} {person.last}"
        first = person.middle
    if rng.random() < 0.04:
        nick = _NICKS.get(person.first.lower())
        alias = f"{(rng.choice(nick) if nick else person.first).capitalize()} {person.last}"
    return first, alias


def _last_variant(rng: random.Random, person: _Person) -> str | None:
    last = person.last
    if person.second_last:
        form = rng.random()
        if form < 0.35:
            last = f"{person.last}-{person.second_last}"
        elif form < 0.65:
            last = f"{person.last} {person.second_last}"
        elif form < 0.92:
            last = person.last
        else:
            last = person.second_last
    roll = rng.random()
    if roll < 0.07:
        last = _typo(rng, last)
    elif roll < 0.08:
        return None
    return last


def _dob_variant(rng: random.Random, dob: dt.date) -> str | None:
    roll = rng.random()
    if roll < 0.07:
        return None
    if roll < 0.10 and dob.day <= 12 and dob.day != dob.month:
        return f"{dob.year:04d}-{dob.day:02d}-{dob.month:02d}"
    if roll < 0.13:
        year = dob.year + rng.choice((-1, 1))
        day = min(dob.day, 28) if dob.month == 2 else dob.day
        return f"{year:04d}-{dob.month:02d}-{day:02d}"
    if roll < 0.16:
        text = list(dob.isoformat())
        for _ in range(5):
            position = rng.choice((3, 6, 8, 9))
            text[position] = str(rng.randint(0, 9))
            try:
                return dt.date.fromisoformat("".join(text)).isoformat()
            except ValueError:
                text = list(dob.isoformat())
        return dob.isoformat()
    return dob.isoformat()


def _records(
    rng: random.Random, person: _Person, count: int, zips: Sequence[str]
) -> Iterable[dict[str, Any]]:
    for index in range(count):
        first, alias = _first_variant(rng, person)
        last = _last_variant(rng, person)
        if person.asian_order and rng.random() < 0.3:
            first, last = last, first
        zip_code: str | None = person.zip
        address: str | None = person.address
        if rng.random() < 0.2:  # moved
            zip_code, address = _zip(rng, zips), _address(rng)
        if rng.random() < 0.15:
            address = None
        if address and rng.random() < 0.1:
            address = address.replace(" St", " Street").replace(" Ave", " Avenue") + " Apt 2"
        if rng.random() < 0.05:
            zip_code = None
        phone = person.phone if rng.random() < 0.6 else None
        if phone and rng.random() < 0.1:
            phone = _phone(rng)
        ext = []
        source = rng.choice(_SOURCES)
        if person.dl and rng.random() < 0.4:
            ext.append(f"dl:{person.dl}")
        if person.jail and source in ("arrest", "pathways") and rng.random() < 0.7:
            ext.append(f"jail:{person.jail}")
        middle = person.middle if rng.random() < 0.5 else None
        if middle and rng.random() < 0.5:
            middle = middle[0]
        sex = person.sex if rng.random() > 0.05 else "unknown"
        yield {
            "unique_id": f"{source}:{person.true_id}-{index}",
            "source": source,
            "first_name": first,
            "middle_name": middle,
            "last_name": last,
            "aliases": alias,
            "dob": _dob_variant(rng, person.dob),
            "sex": sex,
            "postal_code": zip_code,
            "address": address,
            "phone": f"({phone[:3]}) {phone[3:6]}-{phone[6:]}" if phone else None,
            "ext_ids": "|".join(ext) or None,
            "group": person.group,
            "true_id": person.true_id,
        }


def generate(
    n_people: int,
    *,
    seed: int,
    records_per_person: tuple[int, int] = (1, 4),
    twin_rate: float = 0.02,
    n_zips: int = 120,
) -> pd.DataFrame:
    """Records of ``n_people`` synthetic people (plus their twins) in the record layout,
    with ``true_id``; deterministic for ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, seeded for repeatability
    zips = [f"{60000 + rng.randint(0, 9999):05d}" for _ in range(n_zips)]
    low, high = records_per_person
    rows: list[dict[str, Any]] = []
    number = 0
    for _ in range(n_people):
        person = _person(rng, number, zips)
        number += 1
        people = [person]
        if rng.random() < twin_rate:
            people.append(_twin(rng, person, number))
            number += 1
        for someone in people:
            rows.extend(_records(rng, someone, rng.randint(low, high), zips))
    columns = [*COLUMNS, "true_id"]
    return pd.DataFrame.from_records(rows, columns=columns)


def pairs_truth(df: pd.DataFrame) -> set[tuple[str, str]]:
    """Every pair of records of one person, as (smaller id, larger id)."""
    truth: set[tuple[str, str]] = set()
    for ids in df.groupby("true_id")["unique_id"].agg(list):
        ordered = sorted(ids)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                truth.add((a, b))
    return truth


def pairs_from_clusters(assignment: dict[str, str]) -> set[tuple[str, str]]:
    """Every pair of records put in one cluster."""
    members: dict[str, list[str]] = defaultdict(list)
    for uid, cluster in assignment.items():
        members[cluster].append(uid)
    pairs: set[tuple[str, str]] = set()
    for ids in members.values():
        ordered = sorted(ids)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                pairs.add((a, b))
    return pairs


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int


def _ordered(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(a, b) if a <= b else (b, a) for a, b in pairs}


def score(pred_pairs: Iterable[tuple[str, str]], truth: set[tuple[str, str]]) -> Score:
    """Pairwise precision, recall and F1 of predicted pairs against the true pairs."""
    predicted = _ordered(pred_pairs)
    truth = _ordered(truth)
    tp = len(predicted & truth)
    fp = len(predicted - truth)
    fn = len(truth - predicted)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, tp, fp, fn)


def score_by_group(pred_pairs: Iterable[tuple[str, str]], df: pd.DataFrame) -> dict[str, Score]:
    """:func:`score` per ``group``: a pair counts for the group of each of its records (a
    false link across groups counts against both)."""
    group_of = dict(zip(df["unique_id"], df["group"], strict=True))
    predicted = _ordered(pred_pairs)
    truth = pairs_truth(df)
    out: dict[str, Score] = {}
    for group in sorted(set(group_of.values())):

        def mine(pair: tuple[str, str], g: str = group) -> bool:
            return group_of.get(pair[0]) == g or group_of.get(pair[1]) == g

        out[group] = score({p for p in predicted if mine(p)}, {p for p in truth if mine(p)})
    return out
