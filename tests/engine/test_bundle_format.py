"""Malformed results bundles: one clear message and exit status 2, never a traceback."""

from __future__ import annotations

import copy
import io
import json
import zipfile

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simshop.cli.verify import verify_command
from simshop.engine import verify
from simshop.engine.verify import BundleFormatError, parse_bundle

SKELETON = {
    "format": "simshop-results-bundle",
    "version": 1,
    "kind": "game",
    "generated_at": "2026-01-01T00:00:00+00:00",
    "games": [
        {
            "game": {
                "id": 1,
                "title": "A game",
                "seed": 7,
                "seed_rule": verify.SEED_RULE,
                "scoring_weights": {},
                "practice_rounds": 0,
                "scored_rounds": 1,
                "status": "running",
            },
            "scenario": {"file": None, "id": "s", "sha256": "0" * 64, "text": "x"},
            "teams": [{"id": 1, "name": "Alpha", "is_bot": False, "bot_strategy": None}],
            "rounds": [
                {
                    "number": 1,
                    "scenario_round": 1,
                    "is_practice": False,
                    "seed": 7,
                    "published_at": None,
                    "standings": [],
                    "market_stats": {},
                    "events": [],
                    "results": [],
                }
            ],
        }
    ],
}


def encoded(data) -> bytes:
    return json.dumps(data).encode()


def with_change(path: tuple, value) -> bytes:
    data = copy.deepcopy(SKELETON)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return encoded(data)


def zipped(payload: bytes, name: str = "results.json") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, payload)
    return buffer.getvalue()


def test_the_skeleton_itself_is_well_formed():
    assert parse_bundle(encoded(SKELETON)) == SKELETON


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("games", 0, "game", "seed"), "7", "games[0].game.seed: Input should be a valid integer"),
        (("games", 0, "game", "seed"), -1, "games[0].game.seed: Input should be greater than"),
        (
            ("games", 0, "rounds", 0, "number"),
            "one",
            "games[0].rounds[0].number: Input should be a valid integer",
        ),
        (("games", 0, "rounds", 0, "seed"), -5, "games[0].rounds[0].seed: Input should be"),
        (("games", 0, "teams", 0, "name"), 5, "games[0].teams[0].name: Input should be a valid"),
        (("games",), {}, "games: Input should be a valid list"),
    ],
)
def test_a_field_of_the_wrong_type_or_range_is_named(path, value, message):
    with pytest.raises(BundleFormatError) as caught:
        parse_bundle(with_change(path, value), "b.json")
    assert str(caught.value).startswith(f"b.json: {message}")


def test_non_standard_infinity_is_refused():
    raw = with_change(("games", 0, "game", "scoring_weights"), {"profit": 1.0}).replace(
        b"1.0", b"Infinity"
    )
    with pytest.raises(BundleFormatError, match="non-standard JSON constant Infinity"):
        parse_bundle(raw, "b.json")


def test_json_nested_200000_deep_is_refused():
    raw = b'{"format": "simshop-results-bundle", "version": 1, "x": ' + b"[" * 200_000
    raw += b"]" * 200_000 + b"}"
    with pytest.raises(BundleFormatError, match=f"nested more than {verify.MAX_DEPTH} levels"):
        parse_bundle(raw, "b.json")


def test_moderate_nesting_beyond_the_limit_is_refused_too():
    raw = with_change(("games", 0, "rounds", 0, "market_stats"), {"x": [[[[[[[[[]]]]]]]]] * 1})
    deep = json.loads(raw)
    node = deep["games"][0]["rounds"][0]["market_stats"]
    for _ in range(verify.MAX_DEPTH):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(BundleFormatError, match="nested more than"):
        parse_bundle(encoded(deep), "b.json")


def test_a_zip_declaring_too_large_a_member_is_refused_before_inflating(monkeypatch):
    archive = zipped(encoded(SKELETON) + b" " * 100_000)  # small packed, large unpacked
    monkeypatch.setattr(verify, "MAX_BUNDLE_BYTES", 5_000)
    assert len(archive) < 5_000
    with pytest.raises(BundleFormatError, match="would inflate to .* bytes \\(at most 5000\\)"):
        parse_bundle(archive, "b.zip")


def test_a_zip_lying_about_its_size_is_refused():
    payload = encoded(SKELETON) + b" " * 50_000
    archive = bytearray(zipped(payload))
    small = (100).to_bytes(4, "little")
    local = archive.index(b"PK\x03\x04")
    central = archive.index(b"PK\x01\x02")
    archive[local + 22 : local + 26] = small
    archive[central + 24 : central + 28] = small
    with pytest.raises(BundleFormatError, match="b.zip: not a readable zip file"):
        parse_bundle(bytes(archive), "b.zip")


def test_a_zip_with_two_json_files_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.json", "{}")
        archive.writestr("b.json", "{}")
    with pytest.raises(BundleFormatError, match="exactly one .json file"):
        parse_bundle(buffer.getvalue(), "b.zip")


@pytest.mark.parametrize(
    "raw",
    [
        with_change(("games", 0, "game", "seed"), "seven"),
        with_change(("games", 0, "game", "seed"), -7),
        with_change(("games", 0, "rounds", 0, "number"), "one"),
        b"[" * 200_000 + b"]" * 200_000,
        b'{"format": "simshop-results-bundle", "version": 1, "games": [], "kind": "game", '
        b'"generated_at": null, "x": Infinity}',
    ],
    ids=["string seed", "negative seed", "round one", "deep", "infinity"],
)
def test_the_verify_command_exits_2_with_one_line(tmp_path, raw):
    path = tmp_path / "bundle.json"
    path.write_bytes(raw)

    result = CliRunner().invoke(verify_command, [str(path)])

    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.startswith(f"error: {path}: ")
    assert result.output.count("\n") == 1


def test_a_signature_over_the_skeleton_is_checked_against_the_key_given():
    key = Ed25519PrivateKey.generate()
    signed = verify.sign_bundle(SKELETON, key)

    assert verify.check_signature(signed) == ("valid", verify.key_id(key.public_key()))
    other = Ed25519PrivateKey.generate().public_key()
    assert verify.check_signature(signed, other)[0] == "other_key"
    signed["games"][0]["teams"][0]["name"] = "Beta"
    assert verify.check_signature(signed)[0] == "invalid"
    assert verify.check_signature(SKELETON) == ("absent", None)
