"""Evidence files: type and size checked on the content, fingerprinted, kept as received."""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from dataclasses import dataclass
from io import BytesIO

from engine.errors import InvalidData

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10

_OOXML = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


@dataclass(frozen=True)
class Evidence:
    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes

    def describe(self) -> dict[str, object]:
        return {"filename": self.filename, "type": self.content_type, "size": self.size, "sha256": self.sha256}


def sniff(content: bytes) -> str | None:
    """The content type from the file's own bytes; the name and the browser's claim are ignored."""
    head = content[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/msword"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(BytesIO(content)).namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            for prefix, (ctype, _) in _OOXML.items():
                if any(n.startswith(prefix) for n in names):
                    return ctype
        return None
    if head.startswith((b"\x00\x00\x00\x18ftypmp4", b"\x00\x00\x00\x20ftyp", b"\x00\x00\x00\x1cftyp")):
        return "video/mp4"
    return None


def safe_filename(name: str) -> str:
    """Keep Vietnamese letters; drop path parts and control characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:200] or "tep-dinh-kem"


def check_uploads(uploads: list[Upload]) -> list[Evidence]:
    if len(uploads) > MAX_FILES:
        raise InvalidData({"evidence": (f"Tối đa {MAX_FILES} tệp.", f"At most {MAX_FILES} files.")})
    out = []
    for up in uploads:
        if not up.content:
            continue
        if len(up.content) > MAX_FILE_BYTES:
            mb = MAX_FILE_BYTES // (1024 * 1024)
            raise InvalidData(
                {"evidence": (f"Tệp {up.filename} vượt quá {mb} MB.", f"File {up.filename} is over {mb} MB.")}
            )
        ctype = sniff(up.content)
        if ctype is None:
            raise InvalidData(
                {
                    "evidence": (
                        f"Tệp {up.filename} không phải ảnh, PDF, tài liệu Word/Excel hay video MP4.",
                        f"File {up.filename} is not an image, PDF, Word/Excel document or MP4 video.",
                    )
                }
            )
        out.append(
            Evidence(safe_filename(up.filename), ctype, len(up.content), hashlib.sha256(up.content).hexdigest(), up.content)
        )
    return out
