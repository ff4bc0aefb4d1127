"""The self-inspection form for screen readers: every answer, remark and file input is tied to its
question, and an answer's error is announced with it."""
from __future__ import annotations

import re

from .test_self_inspection import si  # noqa: F401  (the fixture)


def test_every_input_is_named_by_its_question_and_errors_are_described(running, si, login_as):  # noqa: F811
    w = running
    client = login_as(w.company_user)
    item = next(i for i in si.template.items if i.code == "FAC-01")
    response = client.post(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection",
                           data={f"a_{item.id}": "abc", "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for tag in re.findall(r"<(?:input|textarea)\b[^>]*>", html):
        if 'type="hidden"' in tag or 'type="radio"' in tag or 'id="fact_date"' in tag:
            continue
        assert "aria-label" in tag, tag  # aria-label or aria-labelledby
    radios = re.findall(r'<div role="radiogroup" aria-labelledby="(si-q-\d+)"', html)
    assert radios and all(f'id="{q}"' in html for q in radios)
    answer = re.search(rf'<input[^>]*name="a_{item.id}"[^>]*>', html).group(0)
    assert f'aria-labelledby="si-q-{item.id}"' in answer and 'aria-invalid="true"' in answer
    assert re.search(rf'id="si-e-{item.id}">[^<]*应为数字', html)
    assert f'aria-describedby="si-e-{item.id}"' in answer
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
