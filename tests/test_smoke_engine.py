from tests.support import case_in, load_case


def test_a_case_goes_from_report_to_publication(org):
    out = case_in(org, "published")
    case = load_case(org, out.case_id)
    assert case.state == "published"
    assert case.reference.startswith("PA-2026-")
    assert case.event_count == 4
