"""DSSE PAE, the envelope encoding and the namespace extension codec."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trails.formats.dsse import encode_envelope, keyid, pae
from trails.formats.oids import (
    NamespaceExtensionError,
    decode_namespaces,
    encode_namespaces,
)


def test_pae_matches_the_dsse_spec_example() -> None:
    # https://github.com/secure-systems-lab/dsse/blob/master/protocol.md (test vector)
    assert (
        pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_bytes_not_characters() -> None:
    assert pae("t\u00e9", b"\xff\x00") == b"DSSEv1 3 t\xc3\xa9 2 \xff\x00"
    assert pae("", b"") == b"DSSEv1 0  0 "


def test_envelope_has_the_design_shape() -> None:
    env = json.loads(encode_envelope("x/y", b"body", b"sig", [b"leaf", b"int"]))
    assert env == {
        "payloadType": "x/y",
        "payload": "Ym9keQ==",
        "signatures": [{"keyid": keyid(b"leaf"), "sig": "c2ln"}],
        "x5c": ["bGVhZg==", "aW50"],
    }


_segment = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)
_pattern = st.one_of(
    st.just("*"),
    st.lists(_segment, min_size=1, max_size=4).map("/".join),
    st.lists(_segment, min_size=1, max_size=3).map(lambda s: "/".join(s) + "/*"),
)


@given(st.lists(_pattern, min_size=1, max_size=64))
def test_namespace_extension_round_trips(patterns: list[str]) -> None:
    assert decode_namespaces(encode_namespaces(patterns)) == tuple(patterns)


def test_namespace_extension_der_is_exact() -> None:
    assert encode_namespaces(["linux/*"]) == b"\x30\x09\x0c\x07linux/*"
    long = ["a" * 60 + str(i) for i in range(3)]
    der = encode_namespaces(long)
    assert der[:3] == b"\x30\x81\xbd"  # 3 x (2 + 61) = 189 bytes


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"\x31\x00",  # SET, not SEQUENCE
        b"\x30\x00",  # no patterns
        b"\x30\x03\x0c\x05ab",  # runs past the end
        b"\x30\x03\x0c\x01a\x00",  # trailing bytes
        b"\x30\x81\x03\x0c\x01a",  # non-minimal length
        b"\x30\x03\x13\x01a",  # PrintableString, not UTF8String
        b"\x30\x03\x0c\x01A",  # not a valid namespace
        b"\x30\x04\x0c\x02\xff\xfe",  # not UTF-8
        b"\x30\x80\x0c\x01a\x00\x00",  # indefinite length
        b"\x30\x84\x00\x00\x00\x03\x0c\x01a",  # too many length bytes
        b"\x30\x06\x0c\x04lin*",  # '*' only as a whole last segment
    ],
)
def test_malformed_namespace_extension_is_refused(value: bytes) -> None:
    with pytest.raises(NamespaceExtensionError):
        decode_namespaces(value)


@given(st.binary(max_size=64))
def test_decoder_never_raises_anything_else(value: bytes) -> None:
    try:
        patterns = decode_namespaces(value)
    except NamespaceExtensionError:
        return
    assert encode_namespaces(patterns) == value


def test_encoder_refuses_bad_patterns() -> None:
    with pytest.raises(NamespaceExtensionError):
        encode_namespaces([])
    with pytest.raises(NamespaceExtensionError):
        encode_namespaces(["Linux"])
