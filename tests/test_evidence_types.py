"""Phone photos and videos are evidence: HEIC/HEIF and MOV/MP4 recognised by their bytes (the
ISO base media `ftyp` box and its brands), whatever their name says; anything else still refused."""

from __future__ import annotations

import pytest

from engine.cases.evidence import Upload, check_uploads, sniff
from engine.errors import InvalidData


def ftyp(major: bytes, *compatible: bytes, minor: int = 0) -> bytes:
    body = major + minor.to_bytes(4, "big") + b"".join(compatible)
    box = (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body
    return box + (16).to_bytes(4, "big") + b"mdat" + b"\x00" * 8


@pytest.mark.parametrize(("content", "expected"), [
    (ftyp(b"heic", b"mif1", b"heic"), "image/heic"),  # an iPhone photo
    (ftyp(b"mif1", b"mif1", b"heic", b"miaf"), "image/heic"),  # HEIF image with HEVC brand
    (ftyp(b"mif1", b"mif1", b"miaf"), "image/heif"),
    (ftyp(b"heix", b"mif1"), "image/heic"),
    (ftyp(b"qt  ", b"qt  "), "video/quicktime"),  # an iPhone video (.MOV)
    (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),  # an Android video
    (ftyp(b"mp42", b"mp42", b"isom"), "video/mp4"),
    (ftyp(b"3gp4", b"3gp4", b"isom"), "video/3gpp"),
    (ftyp(b"abcd", b"abcd", b"mp42"), "video/mp4"),  # unknown major brand, MP4-compatible
    ((20).to_bytes(4, "big") + b"moov" + b"\x00" * 12, "video/quicktime"),  # an old QuickTime file
    (ftyp(b"abcd", b"wxyz"), None),
    (b"\x00\x00\x00\x18ftyp", None),  # a box with no brand is not a video
])  # fmt: skip
def test_phone_media_is_recognised_by_content(content: bytes, expected: str | None) -> None:
    assert sniff(content) == expected


def test_phone_media_is_accepted_whatever_its_name_and_other_bytes_are_refused() -> None:
    ev = check_uploads([Upload("IMG_0412.HEIC", ftyp(b"heic", b"mif1", b"heic")),
                        Upload("video.bin", ftyp(b"qt  ", b"qt  "))])  # fmt: skip
    assert [e.content_type for e in ev] == ["image/heic", "video/quicktime"]
    with pytest.raises(InvalidData) as err:
        check_uploads([Upload("IMG_0413.HEIC", b"not really a photo")])
    vi, en = err.value.errors["evidence"]
    assert "HEIC" in vi and "MOV" in vi and "MOV" in en
