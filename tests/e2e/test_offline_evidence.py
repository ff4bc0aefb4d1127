"""A lost connection loses nothing: on a phone, the company types its answer to an item (the draft
survives a reload), adds a photo, loses the connection and presses 提交 — the form is queued and
shown as 待发送; when the connection returns it is sent by itself, and the item holds the answer
exactly once, with its photo."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import func, select

from . import builders
from .conftest import sign_in

RESPONSE = "离线填报：已清理楼道堆物，张贴告示。"


def _state(live_server, item_id):
    from supervision.attachments.models import Attachment
    from supervision.campaigns.models import RectificationItem
    from supervision.offline.models import SubmissionKey

    with builders.app_session(live_server) as session:
        item = session.get(RectificationItem, item_id)
        photos = session.scalars(select(Attachment.original_name).where(
            Attachment.owner_type == "item", Attachment.owner_id == item_id)).all()
        keys = session.scalar(select(func.count(SubmissionKey.id)).where(
            SubmissionKey.endpoint == "campaigns.item_answer", SubmissionKey.result_url.like(f"%/{item_id}")))
        return item.state.value, item.response, photos, keys


def test_an_answer_submitted_offline_is_queued_and_arrives_once(new_context, live_server):
    setup = builders.running_campaign(live_server, problems=["E2E 离线：3号楼楼道堆放杂物"])
    item_id = setup.item_ids[0]
    context = new_context(viewport={"width": 390, "height": 844})
    page = sign_in(context.new_page(), live_server, "company")
    page.goto(f"{live_server.url}/campaigns/items/{item_id}")
    expect(page.locator("h1")).to_contain_text("待整改")

    # What is typed is kept in the browser: a reload brings it back.
    page.get_by_label("整改情况说明").fill(RESPONSE)
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('draft:') && "
                           "localStorage.getItem(k).includes('离线填报'))")
    page.reload()
    expect(page.get_by_label("整改情况说明")).to_have_value(RESPONSE)
    expect(page.locator(".offline-draft-note")).to_be_visible()

    # The camera input is offered next to the file input.
    camera = page.locator("input[type=file][capture=environment]").first
    expect(camera).to_have_attribute("accept", "image/*")
    camera.set_input_files(builders.jpeg("离线照片", (200, 90, 40)))

    # Offline: 提交 queues the form instead of losing it.
    context.set_offline(True)
    page.get_by_role("button", name="提交，等待验收").click()
    outbox = page.locator(".offline-outbox")
    expect(outbox).to_contain_text("待发送")
    expect(outbox.locator(".offline-entry[data-state=queued]")).to_have_count(1)
    assert _state(live_server, item_id)[:3] == ("open", None, [])  # nothing has arrived yet

    # Back online: sent by itself, once, with its photo.
    context.set_offline(False)
    expect(outbox.locator(".offline-entry[data-state=sent]")).to_have_count(1, timeout=15_000)
    state, response, photos, keys = _state(live_server, item_id)
    assert (state, response, photos, keys) == ("submitted", RESPONSE, ["离线照片.jpg"], 1)

    # The outbox is empty afterwards and the draft is gone: nothing is sent twice.
    page.goto(f"{live_server.url}/campaigns/items/{item_id}")
    expect(page.locator("h1")).to_contain_text("待验收")
    expect(page.locator(".offline-outbox")).to_have_count(0)
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('draft:')).length") == 0
    assert _state(live_server, item_id)[2] == ["离线照片.jpg"]
