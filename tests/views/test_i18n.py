"""Language selection, the language switch and the completeness of the Chinese catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from simshop.i18n import locale_from_accept_language, normalize_locale

ROOT = Path(__file__).resolve().parents[2]
CATALOG_DIR = ROOT / "simshop" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
PO_FILE = CATALOG_DIR / "messages.po"
MO_FILE = CATALOG_DIR / "messages.mo"
# The same keywords as `make translations` (pybabel's defaults plus our lazy markers).
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
}


def is_chinese(html: str) -> bool:
    return '<html lang="zh-Hans">' in html and "登录" in html


def is_english(html: str) -> bool:
    return '<html lang="en">' in html and "Log in" in html


@pytest.mark.parametrize(
    "header",
    [
        "zh-CN",
        "zh-Hans-CN",
        "zh",
        "zh-TW",
        "zh-HK",
        "zh-Hant-TW,zh;q=0.9",
        "fr-FR,zh-CN;q=0.8,en;q=0.5",
        "zh_CN",
    ],
)
def test_chinese_accept_language_variants_get_chinese(client, header):
    page = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert is_chinese(page)


@pytest.mark.parametrize("header", ["en-US", "en-GB,en;q=0.9", "en", "fr", "de-DE", "*", ""])
def test_other_accept_language_headers_get_english(client, header):
    page = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert is_english(page)


def test_english_preferred_over_chinese_when_ranked_higher(client):
    page = client.get("/login", headers={"Accept-Language": "en-US,zh-CN;q=0.5"})
    assert is_english(page.get_data(as_text=True))


@pytest.mark.parametrize(
    ("code", "expected"),
    [("zh-tw", "zh_Hans_CN"), ("ZH", "zh_Hans_CN"), ("en_US", "en"), ("fr", None), ("", None)],
)
def test_normalize_locale(code, expected):
    assert normalize_locale(code) == expected


def test_locale_from_accept_language_defaults_to_english():
    assert locale_from_accept_language(["ja", "ko"]) == "en"


def test_language_switch_is_remembered(app, client, submit):
    response = submit("/lang", {"locale": "zh_Hans_CN", "next": "/register"}, page="/login")

    assert response.status_code == 302
    assert response.headers["Location"] == "/register"
    assert "HttpOnly" in response.headers["Set-Cookie"]
    english_browser = {"Accept-Language": "en-US"}
    assert is_chinese(client.get("/login", headers=english_browser).get_data(as_text=True))

    # The cookie alone (a new session) still carries the choice.
    other = app.test_client()
    other.set_cookie("simshop_locale", "zh_Hans_CN")
    assert is_chinese(other.get("/login", headers=english_browser).get_data(as_text=True))

    submit("/lang", {"locale": "en", "next": "/login"}, page="/login")
    page = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert is_english(page)


def test_language_choice_survives_login_and_logout(client, auth, submit, make_user):
    make_user(login="s2026600")
    submit("/lang", {"locale": "zh_Hans_CN", "next": "/login"}, page="/login")

    auth.login("s2026600")
    assert "你好" in client.get("/dashboard").get_data(as_text=True)
    page = auth.logout(follow_redirects=True).get_data(as_text=True)
    assert "你已退出登录。" in page


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example", ""])
def test_language_switch_never_redirects_off_site(submit, next_url):
    response = submit("/lang", {"locale": "en", "next": next_url}, page="/login")
    assert response.headers["Location"] == "/"


def test_language_switch_refuses_unknown_locales(submit):
    assert submit("/lang", {"locale": "xx"}, page="/login").status_code == 400


def test_unknown_locale_cookie_is_ignored(client):
    client.set_cookie("simshop_locale", "../../etc")
    assert is_english(client.get("/login").get_data(as_text=True))


def test_field_errors_are_in_the_page_language(client, csrf_token):
    response = client.post(
        "/register",
        data={"csrf_token": csrf_token(client, "/register"), "login": "li@", "password": "abc"},
        headers={"Accept-Language": "zh-CN"},
    )
    page = response.get_data(as_text=True)
    assert "此项为必填项。" in page
    assert "请输入有效的邮箱地址" in page
    assert "密码至少需要 8 个字符。" in page


def test_error_pages_are_translated(client):
    page = client.get("/nowhere", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "页面不存在" in page


def load_po():
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="zh_Hans_CN")


def test_chinese_catalog_is_complete():
    catalog = load_po()
    untranslated = [
        m.id
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalog_matches_the_po_file():
    """The committed .mo must be recompiled whenever the .po changes (make translations)."""

    def key(value):  # plural entries come back as lists from .mo and tuples from .po
        return tuple(value) if isinstance(value, list | tuple) else value

    with MO_FILE.open("rb") as handle:
        compiled = {key(m.id): key(m.string) for m in read_mo(handle) if m.id}
    source = {key(m.id): key(m.string) for m in load_po() if m.id}
    assert compiled == source


def test_catalog_has_every_string_in_the_code_and_templates():
    """Any new translatable string must be extracted and translated (make translations)."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    extracted = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(
            str(ROOT / "simshop"), method_map, options_map, keywords=KEYWORDS
        )
    }
    assert "Log in" in extracted and "Please log in to see this page." in extracted
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in load_po() if m.id}
    assert sorted(extracted - known) == []
