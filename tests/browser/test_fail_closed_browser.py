"""The confirm step in a real browser: sending a case to a unit where nobody can act asks first."""

from __future__ import annotations

from typing import Any

import pytest

from engine.cases import commands as service
from tests.browser.conftest import Live
from tests.notify_support import set_user
from tests.support import REPORT, load_case

pytestmark = pytest.mark.browser


def test_assessing_to_a_unit_with_nobody_to_act_asks_for_confirmation(new_page: Any, live: Live) -> None:
    with live.org.rt.uow() as uow:
        out = service.file_report(uow, live.org.actor("reporter"), "press_violation", dict(REPORT))
    set_user(live.org, "handler_police", active=False)
    page = new_page()
    live.login(page, "assessor")
    page.goto(f"{live.url}/cases/{out.case_id}/act/assess")
    page.select_option("#f-confirmed_kind", "false_information")
    page.select_option("#f-severity", "high")
    page.select_option("#f-competent_unit", label="Công an huyện")
    page.fill("#f-assessment_note", "Chuyển công an huyện.")
    page.click("button[data-trigger='assess']")
    page.wait_for_selector("[data-refusal]")
    assert "Hiện chưa có ai đang hoạt động tại Công an huyện" in page.inner_text("[data-refusal]")
    assert page.input_value("#f-assessment_note") == "Chuyển công an huyện."  # the form as typed
    live.step(page, "asks-confirmation")
    assert load_case(live.org, out.case_id).state == "reported"

    page.check("input[name='confirm_unstaffed']")
    page.click("button[data-trigger='assess']")
    page.wait_for_selector("#case-state")
    assert page.inner_text("#assigned-unit") == "Công an huyện"
    assert load_case(live.org, out.case_id).state == "assessed"
