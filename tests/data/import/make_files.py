"""Write the broken rosters of this folder (run from the repository root).

Source: made up here, after the ways institutions' Excel exports go wrong
(FACTS.md §3.1 for the ID numbers); every person is fictitious and every
ID number is generated with a valid or deliberately wrong check character.
``expected_report.csv`` is the golden report ``tests/test_import.py``
compares with; regenerate the files with
``PYTHONPATH=. .venv/bin/python tests/data/import/make_files.py``, never the report.
"""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import openpyxl

from schemas.identifiers import id_check_char

HERE = Path(__file__).parent


def id_number(order: int, born: str = "19800101", area: str = "500102") -> str:
    """A valid 18-character ID number of Chongqing 渝中区 (fictitious person)."""
    first17 = f"{area}{born}{order:03d}"
    return first17 + id_check_char(first17)


def lost_x() -> str:
    """A valid number ending in X, with the X dropped."""
    order = next(n for n in range(1, 999) if id_number(n).endswith("X"))
    return id_number(order)[:17]


def cert_no(year: int, level: int, serial: int) -> str:
    """A 22-character number in the 2019 national layout."""
    return f"S000050000001{year % 100:02d}{level}{serial:06d}"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


CERT_HEADER = ["序号", "姓名", "身份证号码", "证书编号", "职业名称", "等级", "发证日期"]
CERT_ROWS = [
    [
        "1",
        "王芳",
        id_number(11),
        cert_no(2024, 5, 1),
        "养老护理员",
        "五级",
        "2024-01-15",
    ],
    [
        "2",
        "李 娜",
        id_number(12),
        cert_no(2024, 4, 2),
        "4-10-01-05",
        "四级/中级工",
        "2024年3月1日",
    ],
    [
        "3",
        "阿依古丽•买买提",
        " " + full_width(id_number(13)) + " ",
        cert_no(2024, 5, 3),
        "养老护理员",
        "初级工",
        "2024.1.1",
    ],
    [
        "4",
        "张伟",
        "500102800101014",
        cert_no(2024, 5, 4),
        "养老护理员",
        "5",
        "2024/1/2",
    ],
    ["5", "刘洋", "5.00102E+17", cert_no(2024, 5, 5), "养老护理员", "五级", "20240103"],
    [
        "6",
        "陈静",
        id_number(16)[:15] + "000",
        cert_no(2024, 5, 6),
        "养老护理员",
        "五级",
        "45300",
    ],
    ["7", "杨帆", lost_x(), cert_no(2024, 5, 7), "养老护理员", "五级", "2024-01-08"],
    [
        "8",
        "赵敏",
        id_number(18)[:17] + ("1" if id_number(18)[17] != "1" else "2"),
        cert_no(2024, 5, 8),
        "养老护理员",
        "五级",
        "2024-01-09",
    ],
    [
        "9",
        "黄磊",
        id_number(19),
        cert_no(2024, 5, 9),
        "养老护理员",
        "五级",
        "2024/13/01",
    ],
    ["10", "周杰", id_number(20), cert_no(2024, 5, 10), "厨师", "五级", "2024-01-10"],
    [
        "11",
        "吴刚",
        id_number(21),
        cert_no(2024, 5, 11),
        "养老护理员",
        "四级",
        "2024-01-11",
    ],
    [
        "12",
        "郑爽",
        id_number(22),
        cert_no(2024, 5, 1),
        "养老护理员",
        "五级",
        "2024-01-15",
    ],
    ["13", "", id_number(23), cert_no(2024, 5, 13), "养老护理员", "五级", "2024-01-12"],
    [
        "14",
        "孙丽",
        id_number(24).lower(),
        cert_no(2023, 2, 14),
        "养老护理员",
        "技师",
        "2023-06-30",
    ],
    ["15", "马超", id_number(25), "4071202000000006A", "照料老年人", "", "2024-02-01"],
]

TRAIN_HEADER = [
    "姓名",
    "公民身份号码",
    "培训项目",
    "培训等级",
    "开班日期",
    "结业日期",
    "培训学时",
    "是否补贴",
]
TRAIN_ROWS = [
    [
        "钱多多",
        id_number(31),
        "养老护理员",
        "五级",
        "2024年3月1日",
        "2024年4月19日",
        "80学时",
        "是",
    ],
    [
        "孙悟空",
        id_number(32, "19750505"),
        "养老护理员（社区助老员）",
        "",
        "2024.5.6",
        "2024.6.6",
        "64",
        "否",
    ],
    ["朱𠮷", id_number(33), "照料老年人", "", "2024/7/1", "", "40", "是"],
    [
        "沙僧",
        id_number(34),
        "养老护理员",
        "五级",
        "2024-08-01",
        "2024-07-01",
        "80",
        "是",
    ],
    [
        "白龙马",
        id_number(35),
        "养老护理员",
        "五级",
        "2024-09-01",
        "2024-10-01",
        "八十",
        "是",
    ],
    ["唐三藏", id_number(36), "养老护理员", "五级", "45536", "45566", "80", "是"],
]


def main() -> None:
    """Write every file of the folder from the rows above."""
    certs = [CERT_HEADER, *CERT_ROWS]
    text = "\r\n".join(",".join(row) for row in certs) + "\r\n"
    (HERE / "certificates_utf8.csv").write_bytes(text.encode("utf-8"))
    (HERE / "certificates_utf8_bom.csv").write_bytes(
        codecs.BOM_UTF8 + text.encode("utf-8")
    )
    tab = "\r\n".join("\t".join(row) for row in certs) + "\r\n"
    (HERE / "certificates_utf16.txt").write_bytes(
        codecs.BOM_UTF16_LE + tab.encode("utf-16-le")
    )
    train = [TRAIN_HEADER, *TRAIN_ROWS]
    train_text = "\r\n".join(",".join(row) for row in train) + "\r\n"
    gbk_rows = [row for row in train if "𠮷" not in row[0]]
    gbk_text = "\r\n".join(",".join(row) for row in gbk_rows) + "\r\n"
    (HERE / "training_gbk.csv").write_bytes(gbk_text.encode("gbk"))
    (HERE / "training_gb18030.csv").write_bytes(train_text.encode("gb18030"))
    _xlsx()


def _xlsx() -> None:
    """Typed cells as Excel keeps them: numbers, dates and serials."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["* 姓名", "身份证号（必填）", "证书号", "职业", "级别", "发证时间"])
    sheet.append(
        [
            "钱学森",
            id_number(41),
            cert_no(2024, 5, 41),
            "养老护理员",
            5,
            dt.datetime(2024, 2, 1),
        ]
    )
    sheet.append(
        [
            "邓稼先",
            float(id_number(42)),
            cert_no(2024, 5, 42),
            "养老护理员",
            "五级",
            dt.date(2024, 2, 2),
        ]
    )
    sheet.append(
        [
            "华罗庚",
            int("500102800101043"),
            cert_no(2024, 5, 43),
            "养老护理员",
            "五级",
            45325,
        ]
    )
    sheet.append(
        [
            "李四光",
            id_number(44),
            cert_no(2024, 5, 44),
            "养老护理员",
            "五级",
            "2024年2月4日",
        ]
    )
    book.save(HERE / "certificates.xlsx")


if __name__ == "__main__":
    main()
