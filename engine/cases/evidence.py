"""Evidence files: type and size checked on the content, fingerprinted, kept as received.

The type is decided by `sniff` alone (the one place that reads a file's bytes for its type), and
the name a file is stored and downloaded under takes the extension of that type: a file that
starts `GIF89a` is a GIF whatever its sender called it, so `poly.html` is kept as `poly.gif` and
can never be opened by a browser or a desktop as HTML, HTA or SVG. Names lose control and
bidirectional characters (engine/cases/clean_text.py): stripped, not refused, since the file matters
more than its name, and `evil\u202egpj.exe` must not read as `evilexe.jpg`.

Each unit's people share a storage quota (`check_quota`, configured as PRESSCASE_EVIDENCE_QUOTA_MB),
so one account cannot fill the disk.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from dataclasses import dataclass
from io import BytesIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases.clean_text import strip_forbidden
from engine.errors import InvalidData
from engine.store.models import Attachment, User

SUPERSEDE_TRIGGER = "supersede_evidence"  # the history event that marks an attachment superseded
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10

_OOXML = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}


# The extension each detected type is stored and downloaded with; the first of a type's
# `ALIASES` is kept when the sender's name already uses one (photo.jpeg stays photo.jpeg).
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    **{ctype: ext for ctype, ext in _OOXML.values()},
}
ALIASES = {"image/jpeg": (".jpg", ".jpeg", ".jfif"), "video/mp4": (".mp4", ".m4v")}


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
    if content[4:8] == b"ftyp":
        return _iso_media_type(content)
    if content[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return "video/quicktime"  # an older QuickTime file starts with an atom, not a brand
    return None


# ISO base media files (MP4, QuickTime, HEIF) start with an `ftyp` box: size, "ftyp", a major brand,
# a minor version, then compatible brands. Phones write HEIC photos (iPhone: heic/mif1) and MOV or
# MP4 videos; the brands, not the name, say which.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}
_QUICKTIME_BRANDS = {b"qt  "}
_MP4_BRANDS = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VP",
               b"dash", b"mmp4", b"MSNV", b"f4v ", b"XAVC", b"MiVi"}
_3GP_BRANDS = {b"3gp4", b"3gp5", b"3gp6", b"3gs7", b"3ge6", b"3ge7", b"3gg6", b"3g2a", b"3g2b", b"3g2c"}


def _iso_media_type(content: bytes) -> str | None:
    size = int.from_bytes(content[:4], "big")
    end = size if 16 <= size <= min(len(content), 4096) else min(len(content), 64)
    brands = [content[8:12]] + [content[i:i + 4] for i in range(16, end - 3, 4)]
    major = brands[0]
    if major in _HEIC_BRANDS:
        return "image/heic"
    if major in _HEIF_BRANDS:
        return "image/heic" if _HEIC_BRANDS.intersection(brands) else "image/heif"
    if major in _QUICKTIME_BRANDS:
        return "video/quicktime"
    if major in _MP4_BRANDS:
        return "video/mp4"
    if major in _3GP_BRANDS:
        return "video/3gpp"
    for ctype, known in (("image/heic", _HEIC_BRANDS), ("image/heif", _HEIF_BRANDS), ("video/mp4", _MP4_BRANDS),
                         ("video/quicktime", _QUICKTIME_BRANDS)):
        if known.intersection(brands[1:]):
            return ctype
    return None


def safe_filename(name: str) -> str:
    """Keep Vietnamese letters; drop path parts, control and bidirectional characters."""
    name = unicodedata.normalize("NFC", strip_forbidden(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:200] or "tep-dinh-kem"


def extension_for(content_type: str) -> str:
    return EXTENSIONS.get(content_type, ".bin")


def typed_filename(name: str, content_type: str) -> str:
    """`name` made safe, with the extension of the detected type in place of whatever it had.

    Used when storing and again when downloading, so a file stored before this rule existed
    also leaves with its true extension."""
    name = safe_filename(name)
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    if "." + ext.lower() in ALIASES.get(content_type, (extension_for(content_type),)):
        return name
    return f"{stem[:190]}{extension_for(content_type)}"


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
                        f"Tệp {up.filename} không phải ảnh, PDF, tài liệu Word/Excel hay video (nhận JPEG, PNG, HEIC, MP4, MOV).",
                        f"File {up.filename} is not an image, PDF, Word/Excel document or video "
                        f"(JPEG, PNG, HEIC, MP4, MOV are accepted).",
                    )
                }
            )
        out.append(
            Evidence(typed_filename(up.filename, ctype), ctype, len(up.content), hashlib.sha256(up.content).hexdigest(),
                     up.content)  # fmt: skip
        )
    return out


MB = 1024 * 1024


def unit_usage(session: Session, unit_id: int) -> int:
    """Bytes of evidence uploaded so far by the people of a unit (superseded files still count: they are kept)."""
    q = select(func.coalesce(func.sum(Attachment.size), 0)).join(User, User.id == Attachment.uploaded_by)
    return int(session.scalar(q.where(User.unit_id == unit_id)) or 0)


def check_quota(session: Session, unit_id: int | None, evidence: list[Evidence], quota_bytes: int | None) -> None:
    """Refuse the files, with the figures, when they would take the unit past its quota (None or 0: no limit)."""
    adding = sum(e.size for e in evidence)
    if not quota_bytes or unit_id is None or not adding:
        return
    used = unit_usage(session, unit_id)
    if used + adding <= quota_bytes:
        return
    def mb(n: int) -> str:
        return f"{n / MB:.1f}"
    raise InvalidData({"evidence": (
        f"Đơn vị của bạn đã dùng {mb(used)} MB trong hạn mức {mb(quota_bytes)} MB dành cho tệp chứng cứ; "
        f"các tệp này ({mb(adding)} MB) vượt hạn mức. Hãy liên hệ quản trị hệ thống để được nâng hạn mức.",
        f"Your unit has used {mb(used)} MB of its {mb(quota_bytes)} MB evidence quota; these files "
        f"({mb(adding)} MB) would exceed it. Ask the system administrator to raise the quota.",
    )})  # fmt: skip
