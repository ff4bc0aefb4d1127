"""The standard question set (标准问卷), idempotently: eight service items, the last the overall one."""
from __future__ import annotations

from ..extensions import db
from ..seeding import get_or_create
from .models import SurveyQuestion, SurveyQuestionSet
from .services import STANDARD_SET

STANDARD_QUESTIONS = [
    ("service", "客服（物业服务中心接待、报事报修响应、服务态度）"),
    ("order", "秩序维护（门岗、巡逻、车辆停放管理）"),
    ("cleaning", "保洁（楼道、道路、垃圾分类与清运）"),
    ("greening", "绿化（绿地养护、修剪、补种）"),
    ("repair", "维修（共用部位、共用设施设备维修及时）"),
    ("facilities", "公共设施（电梯、消防、照明、监控运行）"),
    ("fees", "收费公示（收费标准、公共收益、维修资金使用公示）"),
    ("overall", "总体评价（对本小区物业服务的总体满意程度）"),
]


def load_reference() -> None:
    question_set, _created = get_or_create(SurveyQuestionSet, {"name": "物业服务满意度标准问卷"}, code=STANDARD_SET)
    for position, (code, text) in enumerate(STANDARD_QUESTIONS, 1):
        get_or_create(SurveyQuestion, {"text": text, "position": position, "is_overall": code == "overall"},
                      question_set_id=question_set.id, code=code)
    db.session.flush()
