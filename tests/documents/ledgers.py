"""Ledgers (台账) as bureaus keep them, not in our template: the fixtures of the ledger tests."""
from __future__ import annotations

import io

import xlwt
from openpyxl import Workbook

# The shape issue 22 describes: a merged title row, a 填报单位 line, the header on row 3 in the
# ledger's own words, a 序号 column, street (and community) names merged down over their estates,
# full-width digits, "860户", "2005年", "1,320", √/×, trailing spaces, companies named without
# their credit code, a 合计 row with formulas, a note and a signature line below.
LEDGER_HEADERS = ["序号", "项目名称", "所属街道", "所在社区", "小区地址", "管理方式", "物业服务企业", "建成时间",
                  "楼栋数", "总户数", "建筑面积（㎡）", "是否老旧小区", "备注", "物业项目负责人"]
LEDGER_ROWS = [
    [1, "金桂苑 ", "东城街道", "东风社区", "桂花路１号", "物业企业", "甲物业服务有限公司", "2005年", "6栋", "860户",
     "1,320", "√", "  ", "王五"],
    ["２", "银杏里", None, None, "银杏路2号", "物业企业", "乙物业服务有限公司\u3000", 2005.6, "８", 640,
     "152000.5㎡", "×", None, "赵六"],
    [3, "新月小区", None, "东风", "新月路3号", "社区托管", None, "2005-06", 3, "300户", "31,200", "否", "沿街商铺",
     None],
    [4, "西湖花园", "西城", "西湖社区", "西湖路4号", "物业企业", "乙物业服务有限公司", 2010, 10, "1000", 90000, "✗",
     None, "钱七"],
]
UNKNOWN_IN_LEDGER = "物业项目负责人"

# What every value must become.
EXPECTED = {
    "金桂苑": dict(street="东城街道", community="东风社区", address="桂花路1号", company="甲物业服务有限公司",
                year_built=2005, buildings=6, households=860, floor_area="1320.00", is_old=True, notes=None,
                mode="professional"),
    "银杏里": dict(street="东城街道", community="东风社区", address="银杏路2号", company="乙物业服务有限公司",
                year_built=2005, buildings=8, households=640, floor_area="152000.50", is_old=False, notes=None,
                mode="professional"),
    "新月小区": dict(street="东城街道", community="东风社区", address="新月路3号", company=None, year_built=2005,
                 buildings=3, households=300, floor_area="31200.00", is_old=False, notes="沿街商铺",
                 mode="community_trust"),
    "西湖花园": dict(street="西城街道", community="西湖社区", address="西湖路4号", company="乙物业服务有限公司",
                 year_built=2010, buildings=10, households=1000, floor_area="90000.00", is_old=False, notes=None,
                 mode="professional"),
}


def ledger_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "小区台账"
    width = len(LEDGER_HEADERS)
    sheet.append(["某某区住宅小区物业管理台账（2026年）"] + [None] * (width - 1))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.append(["填报单位：某某区住房和城乡建设局（盖章）"] + [None] * 9 + ["填报日期：2026年5月"])
    sheet.append(LEDGER_HEADERS)
    for values in LEDGER_ROWS:
        sheet.append(values)
    sheet.merge_cells("C4:C6")  # 东城街道 over the first three estates
    sheet.merge_cells("D4:D5")  # 东风社区 over the first two
    sheet.append(["合计", None, None, None, None, None, None, None, "=SUM(I4:I7)", "=SUM(J4:J7)", "=SUM(K4:K7)"])
    sheet.merge_cells("A8:B8")
    sheet.append([])
    sheet.append(["注：本表由各街道于每月5日前报送。"])
    sheet.append(["填表人：张三", None, None, "审核人：李四"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# The same estates in another ledger: an .xls (older Excel / WPS), other column order, other header
# words, the street merged down without its suffix, credit codes instead of some names, Y/N, a
# 小计 row, and two headers the product does not know (one to map, one to leave out).
OTHER_HEADERS = ["街道办事处", "小区名", "坐落", "社区（村）", "管理形式", "物业公司", "统一社会信用代码", "竣工年份",
                 "住户数", "楼幢数", "总建筑面积", "老旧小区（是/否）", "所属片区", "情况说明"]
OTHER_UNKNOWN = {"管理形式": "management_mode", "所属片区": "__ignore__"}


def other_rows(world) -> list[list]:
    code1, code2 = world.company1.credit_code, world.company2.credit_code
    return [
        ["东城", "金桂苑", "桂花路1号", "东风社区", "物业企业", None, code1, 2005, "８６０", 6, "1,320.00", "Y",
         "一片区", None],
        [None, "银杏里", "银杏路2号", "东风社区", "物业企业", "乙物业服务有限公司", None, "2005.6", 640, "8栋",
         "152000.5", "N", "一片区", None],
        [None, "新月小区", "新月路3号", "东风社区", "社区托管", None, None, "2005年6月", "300户", 3, 31200, "无",
         "二片区", "沿街商铺 "],
        ["西城街道办事处", "西湖花园", "西湖路4号", "西湖", "物业企业", None, code2, "2010年", 1000, 10, "90,000",
         "否", "三片区", None],
    ]


def other_xls(world) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("台账")
    sheet.write_merge(0, 0, 0, len(OTHER_HEADERS) - 1, "2026年5月 小区物业管理情况统计表")
    for col, header in enumerate(OTHER_HEADERS):
        sheet.write(1, col, header)
    for r, values in enumerate(other_rows(world), start=2):
        for col, value in enumerate(values):
            if value is not None and not (col == 0 and r in (2, 3, 4)):
                sheet.write(r, col, value)
    sheet.write_merge(2, 4, 0, 0, "东城")  # the street merged over its three estates
    sheet.write(6, 0, "小计")
    sheet.write(6, 8, xlwt.Formula("SUM(I3:I6)"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def other_csv(world, encoding: str = "gb18030") -> bytes:
    lines = [",".join(OTHER_HEADERS)]
    street = ""
    for values in other_rows(world):
        street = values[0] or street  # a CSV has no merged cells
        cells = [street] + ["" if v is None else str(v) for v in values[1:]]
        lines.append(",".join(f'"{c}"' if "," in c else c for c in cells))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
