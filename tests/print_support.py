"""Printed reports for the office-suite test: a period's report with a long case list."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from engine.read.reporting import CaseRow, Report

KINDS = ["Thông tin sai sự thật, xuyên tạc", "Xa rời tôn chỉ, mục đích",
         "Vi phạm đạo đức nghề nghiệp, quy tắc sử dụng mạng xã hội của người làm báo"]  # fmt: skip


def many_cases(report: Report, n: int = 60) -> list[CaseRow]:
    """`n` cases like the report's own (long Vietnamese names, every column filled), for layout checks."""
    base = report.cases[0]
    out = []
    for i in range(n):
        day = date(2026, 3, 2) + timedelta(days=i % 200)
        out.append(replace(
            base, reference=f"PA-2026-{i + 1:06d}", kind=KINDS[i % 3],
            subject=f"Trang thông tin điện tử tổng hợp “Tin nóng Tây Bắc {i}”",
            filing_unit="Đảng bộ xã Mường So", handling_unit="Phòng Văn hóa và Thông tin",
            filed_on=day, handled_on=day + timedelta(days=9), decision_number=f"{i + 1:02d}/QĐ-XPHC",
            decision_date=day + timedelta(days=9), measures="Phạt tiền; Buộc gỡ bỏ nội dung",
            amount=10_000_000, published_on=day + timedelta(days=12),
        ))  # fmt: skip
    return out
