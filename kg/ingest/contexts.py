"""Contexts in which a mechanism's words are not this congress's practice.

A hit is dropped where the clause negates it (未建立…联络站), where it lies in a problem
the case addresses (针对…的问题, 仍存在…的问题), in a practice studied elsewhere, taught,
only planned or called off (学习借鉴…经验, 讲授…课程, 计划明年…, 原定…推迟), or in a
sentence about another body's own practice (市场监管局开展联合执法检查). The learned layer,
which does not read negation, adds nothing to a sentence that says a practice is absent
or called off (`UNREAL`) or studied elsewhere.
"""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[。;!?\n]")
NEGATION = re.compile(
    r"(?:未|没有|尚未|从未|未曾|从没|尚无|缺乏|缺少|不再|暂不|暂未|不具备)[^,;。!?:\n]{0,4}$"
)
# A sentence that says a practice is absent or called off: the learned layer, which does
# not read negation, adds nothing there (nor where `ELSEWHERE` finds a context).
UNREAL = re.compile(
    r"尚未|还没有|从未|未曾|从没|尚无|暂不|暂未|不具备|(?:没有|未)(?:建立|设立|开展|成立|推行)"
    r"|(?:取消|推迟|延期)了?(?:此次|这次|本次)?(?:活动|会议|询问|视察|调研)"
)
PROBLEMS = (
    re.compile(r"针对[^。;]{0,40}?的(?:情况|问题|难题|现象)"),
    re.compile(r"(?:解决|防止|避免|杜绝|克服)[^。;,]{0,24}?(?:问题|现象|倾向)"),
    re.compile(r"(?:仍然|仍|还)?存在[^。;]{0,30}?的(?:问题|现象|短板)"),
)
# A practice studied, taught, weighed or only planned, not practised: 学习考察…的经验,
# 借鉴…做法, …的经验介绍，表示将学习借鉴, 讲授…课程, 研究是否…, 计划明年探索建立….
ELSEWHERE = (
    re.compile(r"(?:学习|考察|借鉴|取经|观摩)[^。;!?\n]{0,24}?(?:经验|做法)"),
    re.compile(r"(?:研究|讨论|考虑|论证)(?:是否|能否|要不要)[^。;!?\n]{0,20}"),
    re.compile(r"(?:经验|做法)[^。;!?\n]{0,12}?(?:学习借鉴|借鉴)"),
    # a course topic: 讲授代表法、预算审查监督等课程, 学习议案建议撰写技巧
    re.compile(r"(?:讲授|讲解|学习)[^,。;!?\n]{0,12}?(?:课程|技巧|知识)"),
    # planned, then not held: 原计划组织代表暗访…但…取消, 原定于本月开展的专题询问因故推迟
    re.compile(r"(?:原计划|原定)[^。;!?\n]{0,40}?(?:取消|推迟|延期)"),
    # only planned: 计划明年探索建立…, 拟于下半年推行…
    re.compile(r"(?:计划|拟|准备|打算)(?:于|在)?(?:明年|下一步|下半年|今后|年内)[^。;!?\n]{0,24}"),
)
# A sentence whose subject is a body outside the congress and that names no congress
# actor reports that body's own practice (市场监管局开展联合执法检查, 公司实行绩效挂钩).
CONGRESS = re.compile(
    r"人大|人代会|(?<!县委|市委|区委|省委|州委|党委)常委会|主席团"
    r"|(?<!员工|职工|学生|家长|党员|股东|企业|行业)代表|选民|议案|工委"
    r"|专门委员会|专委|联络站|家站点"
)
FOREIGN_SUBJECT = re.compile(
    r"(?:(?:今年|近日|日前|近期|去年|本月|\d+月\d*日?),?)?(?:(?![在和与对向把将的了为及])[\u4e00-\u9fff]){0,8}?"
    r"(?:政府|局|县长|区长|市长|镇长|乡长|公司|企业|集团|协会|学会|纪委|监委|纪检组|公安机关"
    r"|检察院|法院|政协|党校|党支部|组织部|宣传部|统战部|政法委|党委书记|党支部书记"
    r"|学校|医院|银行|村务监督委员会|村委会|居委会|办事处)"
)
