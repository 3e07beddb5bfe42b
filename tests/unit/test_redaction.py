"""The 公开 check's patterns on real-looking sentences: what each finds, and what it must leave alone."""
from __future__ import annotations

import pytest

from caseflow.redaction import find, luhn, marked

POSITIVES = [
    # (text, label, the matched text)
    ("如有疑问请联系 zhang.san@cs.gov.cn 。", "电子邮箱", "zhang.san@cs.gov.cn"),
    ("邮箱：li_si＠163.com", "电子邮箱", "li_si＠163.com"),
    ("联系人：王五，电话13812345678。", "手机号码", "13812345678"),
    ("手机 138-1234-5678", "手机号码", "138-1234-5678"),
    ("手机+86 139 0000 1111", "手机号码", "+86 139 0000 1111"),
    ("联系电话：0731-88886666", "固定电话", "0731-88886666"),
    ("电话（021）62345678", "固定电话", "（021）62345678"),
    ("办公室电话 22050000", "固定电话", "22050000"),
    ("身份证号430102199003075213", "身份证号码", "430102199003075213"),
    ("身份证 43010219900307521X", "身份证号码", "43010219900307521X"),
    ("QQ：123456789", "QQ号", "QQ：123456789"),
    ("可加扣扣号 87654321 咨询", "QQ号", "扣扣号 87654321"),
    ("微信号：zhangsan_2023", "微信号", "微信号：zhangsan_2023"),
    ("加 vx abc12345 了解进度", "微信号", "vx abc12345"),
    ("补助打入卡号6222 0219 0200 5432 105", "银行卡号", "6222 0219 0200 5432 105"),
    ("银行卡4111111111111111", "银行卡号", "4111111111111111"),
    ("住长沙市芙蓉区五一大道 389 号", "门牌地址", "长沙市芙蓉区五一大道 389 号"),
    ("家住解放西路12号3栋502室", "门牌地址", "解放西路12号3栋502室"),
    ("见小区5栋2单元301室的业主", "门牌地址", "5栋2单元301室"),
    ("中山北路1088-2号", "门牌地址", "中山北路1088-2号"),
]

NEGATIVES = [
    "根据长府办〔2023〕12号文件精神，现答复如下。",
    "区政协〔2024〕第35号提案已办结。",
    "我局于2023年12月31日前完成整改。",
    "已于20230101起施行，有效期至2025-12-31。",
    "项目总投资35000000元，惠及28000000户次。",  # amounts are not local numbers
    "全区共有12345678人次参与。",
    "人民路改造工程已列入年度计划。",
    "地铁3号线站点周边停车问题已协调解决。",
    "请关注“长沙发布”微信公众号获取进展。",
    "案件编号2025001，答复文号长教函〔2025〕8号。",
    "共建设停车位1500个，新增绿地23000平方米。",
    "随机数字4111111111111112不是有效卡号。",  # fails the Luhn check
    "联系方式已去除。",
]


@pytest.mark.parametrize("text, label, matched", POSITIVES)
def test_positives(text, label, matched):
    assert [(f.label, f.text) for f in find(text)] == [(label, matched)]


@pytest.mark.parametrize("text", NEGATIVES)
def test_negatives(text):
    assert find(text) == []


def test_luhn_by_hand():
    assert luhn("79927398713")  # the textbook example
    assert not luhn("79927398710")


def test_every_finding_is_marked_and_the_rest_escaped():
    html = str(marked("<b>电话</b>13812345678，邮箱 a@b.cn"))
    assert html == ('&lt;b&gt;电话&lt;/b&gt;<mark title="手机号码">13812345678</mark>，邮箱 '
                    '<mark title="电子邮箱">a@b.cn</mark>')
