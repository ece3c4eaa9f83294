"""Text for PDFs drawn with the core Helvetica font, which prints Latin-1 only: the consent form,
report exports and the charts inside them. Typographic marks become their plain equivalents;
any other letter outside Latin-1 prints as "?" (the document says so: `Printable.replaced`)."""

from __future__ import annotations

import unicodedata

#: Typographic characters outside Latin-1 that have a plain equivalent (not "?").
PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u2264": "<=",
        "\u2265": ">=",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u20ac": "EUR",
    }
)


class Printable:
    """Text made safe for the core font; remembers whether anything had to be replaced."""

    def __init__(self) -> None:
        self.replaced = False

    def __call__(self, text: str) -> str:
        text = unicodedata.normalize("NFC", str(text)).translate(PLAIN)
        out = []
        for char in text:
            if ord(char) < 256 and (char.isprintable() or char == "\n"):
                out.append(char)
            elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Zs"):
                out.append(" " if char in "\t\r\u2028\u2029" or char.isspace() else "")
            else:
                out.append("?")
                self.replaced = True
        return "".join(out)
