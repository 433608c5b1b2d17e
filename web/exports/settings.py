"""What an official document needs that the database does not know: names, symbols, signers, recipients.

Read from `reports.toml` in the instance folder (all keys optional; the defaults below are the
demo district's), so each district edits a file, not code:

    [state]                          # Decree 30/2020/NĐ-CP layout, People's Committee bodies
    parent_body = ""
    issuing_body = "ỦY BAN NHÂN DÂN\\nHUYỆN PHONG THỔ"
    symbol = "BC-UBND"
    place = "Phong Thổ"
    on_behalf = "TM. ỦY BAN NHÂN DÂN"
    signer_title = "CHỦ TỊCH"
    signer_name = ""
    recipients = ["Ban Thường vụ Huyện ủy (để báo cáo);", "Lưu: VT."]

    [party]                          # the Party Central Office's layout (Guidance 36-HD/VPTW)
    ...

The .docx templates the layouts build on are `report_templates/state.docx` and
`report_templates/party.docx` in the instance folder, when present (see document.py).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.time.periods import DEFAULT_START_DAY

STATE = "state"
PARTY = "party"
LAYOUTS = (STATE, PARTY)


@dataclass(frozen=True)
class LayoutSettings:
    parent_body: str
    issuing_body: str
    symbol: str
    place: str
    on_behalf: str
    signer_title: str
    signer_name: str = ""
    number: str = ""
    recipients: tuple[str, ...] = ()


DEFAULTS = {
    STATE: LayoutSettings(
        parent_body="", issuing_body="ỦY BAN NHÂN DÂN\nHUYỆN PHONG THỔ", symbol="BC-UBND", place="Phong Thổ",
        on_behalf="TM. ỦY BAN NHÂN DÂN", signer_title="CHỦ TỊCH",
        recipients=("Ban Thường vụ Huyện ủy (để báo cáo);", "Thường trực HĐND huyện;", "Ban Tuyên giáo Huyện ủy;",
                    "Phòng Văn hóa và Thông tin;", "Lưu: VT."),
    ),
    PARTY: LayoutSettings(
        parent_body="ĐẢNG BỘ TỈNH LAI CHÂU", issuing_body="HUYỆN ỦY PHONG THỔ", symbol="BC/HU", place="Phong Thổ",
        on_behalf="T/M BAN THƯỜNG VỤ", signer_title="PHÓ BÍ THƯ",
        recipients=("Ban Tuyên giáo Tỉnh ủy (để báo cáo),", "Thường trực Huyện ủy,", "Ban Tuyên giáo Huyện ủy,",
                    "Các chi, đảng bộ cơ sở,", "Lưu VPHU."),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class ReportSettings:
    period_start_day: int = DEFAULT_START_DAY
    layouts: dict[str, LayoutSettings] = field(default_factory=lambda: dict(DEFAULTS))
    template_dir: Path | None = None

    def layout(self, name: str) -> LayoutSettings:
        return self.layouts[name]

    def template(self, name: str) -> Path | None:
        """The admin's .docx for this layout, if they put one in the instance folder."""
        if self.template_dir is None:
            return None
        path = self.template_dir / f"{name}.docx"
        return path if path.is_file() else None


def _layout(base: LayoutSettings, data: dict[str, Any]) -> LayoutSettings:
    known = {k: v for k, v in data.items() if k in LayoutSettings.__dataclass_fields__}
    if "recipients" in known:
        known["recipients"] = tuple(str(r) for r in known["recipients"])
    return replace(base, **{k: (v if k == "recipients" else str(v)) for k, v in known.items()})


def load_settings(instance_path: str | Path | None) -> ReportSettings:
    if instance_path is None:
        return ReportSettings()
    folder = Path(instance_path)
    path = folder / "reports.toml"
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    layouts = {name: _layout(DEFAULTS[name], data.get(name, {})) for name in LAYOUTS}
    # One period rule for every view (engine/time/periods.py): calendar periods. An old file's
    # `period_start_day` is not read, so the report can never count a month the register counts otherwise.
    start_day = DEFAULT_START_DAY
    return ReportSettings(start_day, layouts, folder / "report_templates")
