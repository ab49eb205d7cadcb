"""The Chinese catalog reads like one careful writer: one term for a round (回合, the
glossary's), and full-width punctuation inside Chinese sentences."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = (
    Path(__file__).resolve().parents[1] / "simshop/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
)
CJK = r"[\u3400-\u9fff]"
# An ASCII comma, semicolon, colon, question or exclamation mark touching a Chinese
# character, or an ASCII full stop or bracket right after one.
ASCII_IN_CHINESE = re.compile(rf"{CJK}[,;:?!(]|[,;:?!)]{CJK}|{CJK}\.(\s|$)")


def translations() -> list[tuple[str, str]]:
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    out = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        out += [(ids[0], text) for text in strings if text]
    return out


def test_a_round_is_always_huihe():
    assert [(i, s) for i, s in translations() if re.search(r"轮(?!流)", s)] == []


def test_chinese_sentences_use_full_width_punctuation():
    assert [(i, s) for i, s in translations() if ASCII_IN_CHINESE.search(s)] == []


def test_amounts_and_headings_name_the_yuan_by_its_sign_not_its_code():
    """Pages write "CN¥" (English) and "¥" (Chinese) like the money filter, never "CNY"."""
    english = [i for i, _s in translations() if "CNY" in i]
    assert english == []
    headings = {i: s for i, s in translations() if i.endswith("(CN¥)")}
    assert len(headings) >= 15
    assert [s for s in headings.values() if "¥" not in s or "元" in s] == []
