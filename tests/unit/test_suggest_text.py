"""Chinese text as the suggestion models see it."""
from caseflow.suggest.text import normalize, split_units, subject, unit_core, unit_key


def test_full_width_folds_to_half_width_and_whitespace_goes():
    assert normalize("关于 加快２０２３年\n城南ＡＢ路　建设（一期）的建议\t") == "关于加快2023年城南AB路建设(一期)的建议"


def test_zero_width_and_non_breaking_spaces_go_too():
    assert normalize("停车\u200b难\u00a0问题\ufeff") == "停车难问题"


def test_empty_and_none_are_empty():
    assert normalize(None) == "" and normalize("  \n ") == ""


def test_subject_drops_the_frame_every_title_shares():
    assert subject("关于进一步加强食品安全监管的建议") == "进一步加强食品安全监管"
    assert subject(" 关于解决“停车难”问题的建议.doc ") == "解决停车难问题"
    assert subject("关于破解建筑业“营改增”中遇到难题的几点建议") == "破解建筑业营改增中遇到难题"
    assert subject("关于加快发展跨境电子商务的提案") == "加快发展跨境电子商务"


def test_subject_ignores_punctuation_submitters_differ_in():
    assert subject("关于《停车难》、“垃圾分类”问题的建议") == subject("关于停车难垃圾分类问题的建议")


def test_subject_keeps_a_title_that_is_only_the_frame():
    assert subject("关于的建议") == "关于的建议"


def test_unit_list_splits_on_separators_outside_brackets_only():
    assert split_units("市财政地税局、市委统战部（侨办、台办）、 宗汉街道") == [
        "市财政地税局", "市委统战部(侨办、台办)", "宗汉街道"]
    assert split_units("市公安局，市教育局;市民政局") == ["市公安局", "市教育局", "市民政局"]
    assert split_units("") == [] and split_units("、、") == []


def test_mixed_brackets_name_one_unit():
    assert unit_key("市农合联执委会（市供销社)") == unit_key("市农合联执委会(市供销社）") == "市农合联执委会(市供销社)"


def test_unit_core_drops_the_administrative_prefix():
    assert unit_core("市卫生和计划生育局") == "卫生和计划生育局"
    assert unit_core("区民政局") == "民政局"
    assert unit_core("浒山街道") == "浒山街道"
