#!/usr/bin/env bash
# Re-import every official text in ../shared/laws into knowledge/laws/*.yaml.
# The versions, dates and aliases below are the ones recorded in ../shared/laws/README.md.
# Run from the repository root: bash scripts/import_shared_laws.sh
set -euo pipefail
SRC=${SHARED_LAWS:-../shared/laws}
PY=${PY:-.venv/bin/python}
# texts checked against the LawRefBook/Laws mirror of 2025-04 (see ../shared/laws/README.md)
MIRROR="正文据2025年4月的文本核对，此后的修改未核对"
imp() { "$PY" -m bot knowledge import "$SRC/$1" --id "$2" "${@:3}"; }

imp xinfang_gongzuo_tiaoli_2022.md xinfang_gongzuo_tiaoli --alias 条例 --alias 信访条例 \
  --label 2022年版 --kind 发布 --version-date 2022-02-25 --effective 2022-05-01 --in-force
imp xingzheng_fuyi_fa_2023.md xingzheng_fuyi_fa --alias 行政复议法 --alias 复议法 \
  --label 2023年修订 --kind 修订 --version-date 2023-09-01 --effective 2024-01-01 --in-force
imp xingzheng_susong_fa_2017.md xingzheng_susong_fa --alias 行政诉讼法 --alias 行诉法 \
  --label 2017年修正 --kind 修正 --version-date 2017-06-27 --effective 2017-07-01 --in-force
imp minshi_susong_fa_2023.md minshi_susong_fa --alias 民事诉讼法 --alias 民诉法 \
  --label 2023年修正 --kind 修正 --version-date 2023-09-01 --effective 2024-01-01 --in-force
imp xingshi_susong_fa_2018.md xingshi_susong_fa --alias 刑事诉讼法 --alias 刑诉法 \
  --label 2018年修正 --kind 修正 --version-date 2018-10-26 --effective 2018-10-26 --in-force
imp laodong_zhengyi_tiaojie_zhongcai_fa_2007.md laodong_zhengyi_tiaojie_zhongcai_fa \
  --alias 劳动争议调解仲裁法 --alias 劳仲法 --alias 劳动仲裁法 \
  --label 2007年通过 --kind 通过 --version-date 2007-12-29 --effective 2008-05-01 --in-force
imp nongcun_tudi_chengbao_jiufen_tiaojie_zhongcai_fa_2009.md \
  nongcun_tudi_chengbao_jiufen_tiaojie_zhongcai_fa \
  --alias 农村土地承包经营纠纷调解仲裁法 --alias 土仲法 --alias 土地承包仲裁法 \
  --label 2009年通过 --kind 通过 --version-date 2009-06-27 --effective 2010-01-01 --in-force
imp zhongcai_fa_2017.md zhongcai_fa --alias 仲裁法 \
  --label 2017年修正 --kind 修正 --version-date 2017-09-01 --effective 2018-01-01 --not-in-force \
  --note "已被2025年9月12日修订、2026年3月1日施行的版本取代，条文序号已变化"
# the whole code (1260 articles); its 第一条至第二百零四条 equal minfadian_zongze_2020.md
imp minfadian_2020.md minfadian --name 中华人民共和国民法典 --alias 民法典 \
  --label 2020年通过 --kind 通过 --version-date 2020-05-28 --effective 2021-01-01 --in-force \
  --note "$MIRROR"
imp falv_yuanzhu_fa_2021.md falv_yuanzhu_fa --alias 法律援助法 \
  --label 2021年通过 --kind 通过 --version-date 2021-08-20 --effective 2022-01-01 --in-force
imp renmin_tiaojie_fa_2010.md renmin_tiaojie_fa --alias 人民调解法 \
  --label 2010年通过 --kind 通过 --version-date 2010-08-28 --effective 2011-01-01 --in-force
imp zhengfu_xinxi_gongkai_tiaoli_2019.md zhengfu_xinxi_gongkai_tiaoli \
  --alias 政府信息公开条例 --alias 信息公开条例 \
  --label 2019年修订 --kind 修订 --version-date 2019-04-03 --effective 2019-05-15 --in-force
imp jiancha_fa_2024.md jiancha_fa --alias 监察法 \
  --label 2024年修正 --kind 修正 --version-date 2024-12-25 --effective 2025-06-01 --in-force
imp guojia_peichang_fa_2012.md guojia_peichang_fa --alias 国家赔偿法 \
  --label 2012年修正 --kind 修正 --version-date 2012-10-26 --effective 2013-01-01 --in-force
imp gongshang_baoxian_tiaoli_2010.md gongshang_baoxian_tiaoli --alias 工伤条例 \
  --label 2010年修订 --kind 修订 --version-date 2010-12-20 --effective 2011-01-01 --in-force
imp shiye_danwei_renshi_guanli_tiaoli_2014.md shiye_danwei_renshi_guanli_tiaoli \
  --alias 事业单位条例 \
  --label 2014年公布 --kind 公布 --version-date 2014-04-25 --effective 2014-07-01 --in-force
imp laodong_hetong_fa_2012.md laodong_hetong_fa --alias 劳动合同法 \
  --label 2012年修正 --kind 修正 --version-date 2012-12-28 --effective 2013-07-01 --in-force \
  --note "$MIRROR"
imp shehui_baoxian_fa_2018.md shehui_baoxian_fa --alias 社会保险法 --alias 社保法 \
  --label 2018年修正 --kind 修正 --version-date 2018-12-29 --effective 2018-12-29 --in-force \
  --note "$MIRROR"
imp baozhang_nongmingong_gongzi_zhifu_tiaoli_2019.md baozhang_nongmingong_gongzi_zhifu_tiaoli \
  --alias 农民工工资支付条例 --alias 农民工工资条例 \
  --label 2019年公布 --kind 公布 --version-date 2019-12-30 --effective 2020-05-01 --in-force \
  --note "$MIRROR"
imp laodong_baozhang_jiancha_tiaoli_2004.md laodong_baozhang_jiancha_tiaoli --alias 劳动监察条例 \
  --label 2004年公布 --kind 公布 --version-date 2004-11-01 --effective 2004-12-01 --in-force \
  --note "$MIRROR"
imp xiaofeizhe_quanyi_baohu_fa_2013.md xiaofeizhe_quanyi_baohu_fa \
  --alias 消费者权益保护法 --alias 消保法 \
  --label 2013年修正 --kind 修正 --version-date 2013-10-25 --effective 2014-03-15 --in-force \
  --note "$MIRROR"
imp wuye_guanli_tiaoli_2018.md wuye_guanli_tiaoli --alias 物业条例 \
  --label 2018年修订 --kind 修订 --version-date 2018-03-19 --effective 2018-03-19 --in-force \
  --note "$MIRROR"
imp guoyou_tudi_fangwu_zhengshou_buchang_tiaoli_2011.md guoyou_tudi_fangwu_zhengshou_buchang_tiaoli \
  --alias 征收补偿条例 --alias 房屋征收条例 \
  --label 2011年公布 --kind 公布 --version-date 2011-01-21 --effective 2011-01-21 --in-force \
  --note "$MIRROR"
imp tudi_guanli_fa_2019.md tudi_guanli_fa --alias 土地管理法 --alias 土管法 \
  --label 2019年修正 --kind 修正 --version-date 2019-08-26 --effective 2020-01-01 --in-force \
  --note "$MIRROR"
imp nongcun_tudi_chengbao_fa_2018.md nongcun_tudi_chengbao_fa \
  --alias 农村土地承包法 --alias 土地承包法 \
  --label 2018年修正 --kind 修正 --version-date 2018-12-29 --effective 2019-01-01 --in-force \
  --note "$MIRROR"
imp xingzheng_chufa_fa_2021.md xingzheng_chufa_fa --alias 行政处罚法 \
  --label 2021年修订 --kind 修订 --version-date 2021-01-22 --effective 2021-07-15 --in-force \
  --note "$MIRROR"
imp gongzhi_renyuan_zhengwu_chufen_fa_2020.md gongzhi_renyuan_zhengwu_chufen_fa \
  --alias 公职人员政务处分法 --alias 政务处分法 \
  --label 2020年通过 --kind 通过 --version-date 2020-06-20 --effective 2020-07-01 --in-force \
  --note "$MIRROR"
imp fan_jiating_baoli_fa_2015.md fan_jiating_baoli_fa --alias 反家庭暴力法 --alias 反家暴法 \
  --label 2015年通过 --kind 通过 --version-date 2015-12-27 --effective 2016-03-01 --in-force \
  --note "$MIRROR"
