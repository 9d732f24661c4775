"""Cue words: the Chinese (and English) words that signal an intent or fill a slot.

Each pattern is an alternation of literals or a bounded repetition, so matching stays linear.
Lists are ordered longest first where one word contains another.
"""

from __future__ import annotations

import re

__all__ = [
    "ACCEPT_ONLY",
    "ACTION_VERB",
    "ALL_DUE",
    "DEFERRAL",
    "OWNER_BUSY",
    "REASSIGN_THEN_REASON",
    "OPINION_START",
    "NOTICE_END",
    "REPORTED_PLAN",
    "AGENDA_CUE",
    "BLOCKED",
    "CALENDAR_QUESTION",
    "CANCEL_MEETING",
    "CHITCHAT",
    "CONNECTIVE",
    "DONE",
    "DONE_MORE",
    "DUE_SHIFT",
    "EVENT_NOUN",
    "HESITANT",
    "HYPOTHETICAL",
    "IN_PROGRESS",
    "LEAVE",
    "LOCATION_NAMED",
    "LOCATION_ROOM",
    "MEETING_CREATE",
    "MEETING_NOT_SCHEDULING",
    "MEETING_NOUN",
    "MEETING_SOFT",
    "OPINION",
    "PAST_MARKER",
    "POLITE_REQUEST",
    "PRIORITY",
    "PROJECT_CREATE",
    "QUERY_MEETINGS",
    "QUERY_ASK",
    "QUERY_MY_TASKS",
    "QUERY_OVERDUE",
    "QUERY_PROGRESS",
    "QUESTION",
    "REMIND",
    "RESCHEDULE",
    "SELF_ASSIGN",
    "TASK_CANCELLED",
    "TASK_REF_ID",
]


def _words(words: str) -> str:
    """An alternation of the whitespace-separated ``words``, longest first."""
    return "|".join(sorted((re.escape(w) for w in words.split()), key=len, reverse=True))


# Verbs of work: enough to tell "小王写文档" (an assignment) from "小王人不错" (chit-chat).
ACTION_VERB = re.compile(
    _words(
        "做 写 出 改 修 整理 准备 提交 发 交 跟进 跟 负责 处理 对接 测试 测 设计 review 看 查 联系 确认 更新 优化 调研 "
        "清理 重启 导出 导入 统计 汇总 上线 部署 推进 完成 搞 弄 画 拍 订 买 通知 沟通 补 检查 排查 落实 梳理 输出 评估 安排 催 联调 配置 搭建 "
        "开发 实现 核对 审核 签 报 填 录 交付 迁移 重构 翻译 回复 打印 预订 采购 约 申请 发布 验收 走查 复盘 收集 整合 对齐 "
        "拉 建 加 删 合并 跑 压测 修复 解决 写完 提测 截图 录入 盯 维护 接 带 面试 报销 寄 送 取 搬 装 换 定 做完 弄好 "
        "搞定 出稿 过 想 列 排 审 收拾 调试 调 联调 排期 清点 盘点 核算 登记 归档 补货 消毒 巡检 保养 校对 张贴 布置 喂 浇 "
        "对一下 对下 盘一下 盘下 点一下 点下 核一下 核下 领 领取 核实 收齐 问一下 问下 问问 拿 收一下 收下 "
        "fix check follow update deploy test write send prepare"
    ),
    re.IGNORECASE,
)

# Meeting nouns.
MEETING_NOUN = re.compile(
    r"(?:[\u4e00-\u9fffA-Za-z0-9]{0,4}?(?:周例|双周|周|例|晨|早|站|夕|月|年|季度|碰头|复盘|评审|讨论|启动|"
    r"总结|动员|需求|技术|项目|产品|设计|方案|沟通|协调|汇报|分享|培训|部门|全员|组|站立|立项|验收|"
    r"对齐|规划|务虚|述职|电话|视频|线上|周总结|进度|晚|午|大|策划|筹备|协调|调度|推进|交底|交接|誓师|表彰|招商|"
    r"座谈|研讨|论证|答疑|交流|家长|班)会(?!议室)|会议(?!室)|培训|讲座|路演|面试(?=取消|改|挪|推|延|调|换|不)|开会|(?<![A-Za-z])sync(?![A-Za-z])|meeting|"
    r"standup|stand-up|kick-?off|1on1|1v1|one-on-one|review会|(?:这个|那个|的|个|次|场|原定的?)会"
    r"(?!议室|不会|儿|员|计|话|长|场|费|所|同)|(?<![我你他她它也就还不都能将])会(?=改|挪|移|调|推|延|换|取消|不开|暂停|提前|照常|顺延))",
    re.IGNORECASE,
)
# Scheduled events that are not called 会 but are moved and cancelled like meetings.
EVENT_NOUN = re.compile(
    r"(?:彩排|排练|联排|走台|合练|晚会|典礼|评审|面试|培训|路演|复盘|演练|答辩|宣讲|讲座|发布会|年会|团建|分享会|沙龙|直播|"
    r"(?:训练|友谊|热身|选拔|表演|资格|对抗)赛|比赛|演出|义诊|巡诊|"
    r"workshop|demo|interview|review|会议?|sync|meeting|standup|briefing|huddle|call|catch-?up|check-?in|"
    r"town ?hall|offsite|training|kick-?off|retro|planning|1on1|one-on-one|scrim|match|game|rehearsal|"
    r"session|class|lesson|webinar|party|dinner|lunch|talk|drill|walkthrough|walk-through|tour|presentation)$",
    re.IGNORECASE,
)
# Scheduling a meeting: 开个会, 约个评审会, 开个sync, 安排一次周会, 开会.
MEETING_CREATE = re.compile(
    r"(?:召开|组织|安排|开|约|搞|来|拉|定|组|加(?=个|一个|一场|场|一次|次))(?:个|一个|一下|一次|次|场|一场|下|了个)?"
    r"(?P<topic>[\u4e00-\u9fffA-Za-z0-9 ]{0,14}?)"
    r"(?P<noun>会议|会(?!议室|儿|员|计|话|长|不会)|sync(?![A-Za-z])|meeting|standup|kick-?off|review|retro|demo|"
    r"brainstorm|all-hands|1on1|1v1|1:1|planning|workshop|sharing|grooming|showcase)",
    re.IGNORECASE,
)
# Meeting-like verbs that schedule only together with a time: 明天下午碰一下.
MEETING_SOFT = re.compile(
    _words(
        "碰一下 碰个头 碰碰 碰下 对一下 聊一下 聊聊 聊下 过一下 过一遍 同步一下 sync一下 对齐一下 开个短会 有个会 过下"
    ),
    re.IGNORECASE,
)
MEETING_NOT_SCHEDULING = re.compile(
    _words(
        "在开会 开完会 开会中 去开会 正在开 刚开完 开着会 开会呢 开会了吗 会开得 会开的 会上 会后 会议纪要 会议记录 开不开会 "
        "要不要开会 开会吗"
    )
)
AGENDA_CUE = re.compile(
    r"(?:讨论|商量|商讨|探讨|研讨|过一下|过一遍|过下|聊聊|聊一下|聊下|对一下|对下|对齐一下|对齐|"
    r"同步一下|同步下|同步|sync一下|sync下|review一下|review|评审一下|评审|确认一下|确认|研究一下|研究|看一下|看下|看看|"
    r"定一下|定下|梳理一下|梳理|复盘一下|复盘|碰一下|沟通一下|沟通|讲一下|讲讲|关于|议题是|议题为|议题|议程|主题是|主题)"
    r"(?!会)(?:一下|下)?[:：]?\s*",
    re.IGNORECASE,
)
RESCHEDULE = re.compile(
    r"(?:改期|改|挪|移|调整|调|推迟|推后|往后推|推|延后|延期|延|提前|换|顺延)(?:一下)?(?:到|至|成|在)"
    r"|(?<![A-Za-z])(?:push(?:ed|ing)?|mov(?:e|ed|ing)|reschedul(?:e|ed|ing)|shift(?:ed|ing)?|bump(?:ed|ing)?)\s[^,，。]{0,30}?\b(?:to|until)\b",
    re.IGNORECASE,
)
CANCEL_MEETING = re.compile(
    r"取消|不开了|先不开|不开会了|不用开了|停一次|停开|暂停|作废|cancel(?:l?ed|l?ing|s)?|called off|(?<![A-Za-z])(?:is|are|'s) off(?![A-Za-z])",
    re.IGNORECASE,
)

DONE = re.compile(
    rf"(?:{ACTION_VERB.pattern})(?:完|好|掉|完成)(?:了|啦|咯|喽)|(?:已经|已)(?:完成|搞定|上线|提交|发布|部署|解决|修复|交付|合并|做完|弄好|处理完|处理好|弄完|写完|改完|交)"
    r"|(?:搞定|完成|做完|弄好|弄完|做好|写完|写好|改完|改好|修好|修完|测完|测好|画完|画好|整理完|整理好|"
    r"对接完|联调完|跑通|上线|提交|发布|部署|合并|交付|解决|修复|处理完|处理好|交|发出去|发出|出|发|"
    r"调通|搭好|配好|装好|审完|做出来|写出来|弄出来|ok|OK|Ok|done|Done|DONE|好|完)"
    r"(?:了|啦|咯|喽|哈|啦啦)",
    re.IGNORECASE,
)
# Finished work said without a stock cue (vocabulary 2): read only when no past time is named.
DONE_MORE = re.compile(
    # Finished work said with other verbs: 走完了, 签回来了, 合进去了, 确认过了, 订单下了, 发群里了.
    r"(?:走|签|合|批|审|回|录|传|寄|送|收|下|跑|测|验|排|定|谈|约|订|买|付|报|批复|确认|核对|验收|对|过|"
    r"投|交|递|搭|弄|装|搬|运|贴|挂|印|拍|剪|租|办|备|领|借|还|换|补|清|铺|种|栽|打)"
    r"(?:完|好|过|回来|进去|出去|上去|下来|出来|到位|齐|通|掉|妥)(?:了|啦|咯)"
    r"|(?:订|定|约|租|签|报|买|抢|挂|装|贴|种)上(?:了|啦|咯)"
    r"|(?:已经|已)(?:签|发|交|确认|验收|审批|批|付|寄|下单|上架|到货|回款|对完|走完|合进去|合入|上线|发群里|发邮件)"
    r"|(?:发|传|放|丢|贴)(?:到)?(?:群里|群上|邮箱|网盘|共享盘|系统里|系统)了|(?<=单)(?:已经|都)?下了"
    r"|(?<![A-Za-z])(?:is |are |has been |have been |all |now )?(?:done|finished|completed|complete|shipped|merged|fixed|deployed|released|resolved|submitted|sent out|sent|approved|signed|live|LGTM(?:'d|ed)?|wrapped up)(?![A-Za-z])",
    re.IGNORECASE,
)
IN_PROGRESS = re.compile(
    r"开始(?:做|搞|写|弄|改|开发|处理|测|测试|设计|对接|联调|跟进|整理|准备|看)?|正在(?:做|搞|写|弄|改|开发|处理|测|跟进)?"
    r"|在(?:做|搞|写|弄|改|开发|处理|跟进|测)"
    # "海报我在画了", "排风扇在修了": more verbs, but only as the end of the report.
    r"|在(?:画|修|整理|准备|剪|拍|调|查|排查|对接|联调|赶)(?=了|呢|着|中|$|[,，。!！\s])"
    r"|着手(?:做|处理)?|进行中|开工了|动手了|已经开始|开搞了|推进中|处理中|开发中|测试中"
    # "宣传册那个还在装订", "逾期罚单还在核": 还在 + a verb of work at the end of the report.
    r"|还在(?:装订|核|校|审|录|赶|排|跑|谈|印|装|贴|搬|算|填|补|做|写|改|弄|搞|测|查|修|调|画|剪|拍|"
    r"整理|准备|处理|对接|核对|审核|盘点|清点|跟进|沟通)(?=了|呢|着|中|$|[,，。!！\s])",
)
BLOCKED = re.compile(
    r"卡住了?|卡着|卡在|卡了|被卡|阻塞|被阻|block(?:ed|住了?)|搞不定|推进不了|进行不下去|没法推进|做不下去|"
    r"停滞|等第三方|在等|还在等|等(?:[\u4e00-\u9fffA-Za-z]{1,8}?)(?:回复|确认|接口|反馈|审批|资源|数据|提供|排期|给|结果)"
    # "等厂家配件", "等IT恢复", "等师傅上门": waiting on a part, a repair or a person (not when
    # it is the reason someone gives: "供应商说要等元器件到货").
    r"|(?<![说要])等(?:[\u4e00-\u9fffA-Za-z]{1,8}?)(?:配件|零件|备件|恢复|修复|修好|到货|发货|上门|来修|批下来)"
    # "液压测试还是过不了 等厂家下周来调": a failure, then waiting on someone (round 5).
    r"|(?:还是|又|一直|始终|老是|总是)?(?:过不了|通不过|不通过|没通过|跑不通|调不通|起不来|打不开|连不上|"
    r"用不了|不达标|不合格|测不过|验不过|装不上|[\u4e00-\u9fff]{1,2}不(?:了|起来|上|动|通))"
    r"(?=[\s,，]+(?:要|得|还得|只能|还要|在)?等)",
    re.IGNORECASE,
)
TASK_CANCELLED = re.compile(
    r"不做了|不用做了|不需要做了|先不做了?|不搞了|砍掉了?|砍了|不要了|不需要了|取消了?|作废了?"
)
DUE_SHIFT = re.compile(r"(?:延|推迟|推|延期|延后|改|挪|顺延|提前)(?:到|至)")
TASK_REF_ID = re.compile(r"(?:#|任务\s*|task\s*#?)(\d{1,7})", re.IGNORECASE)

SELF_ASSIGN = re.compile(
    r"(?:交给我|我(?:今天|明天|后天|下午|上午|晚上|周[一二三四五六日天]|下周[一二三四五六日天]?|这周|稍后|等下|等会儿?|回头|马上)"
    r"[^,，。]{0,8}?把(?=[^,，。]{2,}(?<!了)$)|我来(?!了|晚|过|的|自|说|讲|问)|我负责|我跟进|我跟(?=[\u4e00-\u9fffA-Za-z]|$)|我认领|我接(?:了|下|手)|"
    r"我包了|我处理|我这边(?:来|负责|跟|处理|搞)|我去(?:跟|处理|对接|联系|问|确认|搞|弄|写|做|推|催|整理|准备|改|修|查|看)"
    # "我去办，明天": a lone verb after 我去 at the end of a clause.
    r"|我去(?=[\u4e00-\u9fff](?:一下|下)?(?:[,，。!！\s]|$)))"
)

PRIORITY: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"不急|不着急|不紧急|有空再|有时间再|低优先级|低优|优先级低|不赶|P3|P4", re.I),
        "low",
    ),
    (re.compile(r"十万火急|紧急|加急|特急|马上|立刻|立即|火速|urgent|P0", re.I), "urgent"),
    (
        re.compile(
            r"尽快|高优先级|高优|优先级高|优先|抓紧|赶紧|尽早|asap|P1|很急|比较急|挺急|急用", re.I
        ),
        "high",
    ),
]

QUERY_MY_TASKS = re.compile(
    r"(?:有|剩|剩下|还有)(?:哪些|什么|几个|多少|几项|啥)(?:任务|活|事情|事儿|工作|待办|没做|没完成)"
    r"|的(?:任务|待办|todos?|tasks?|活儿?)(?:还剩下?|还有|剩下|剩)?(?:哪些|几个|多少|什么|啥)"
    r"|的(?:任务|待办|todos?|tasks?|活儿?)(?:有哪些|列表|清单|呢|是什么|都有啥|有啥|有什么|还有)"
    r"|(?:我的|他的|她的)(?:任务|待办|tasks?|todos?)(?:看一下|看下|列一下|发一下|呢|有哪些)?(?:$|[?？])"
    # English nouns in Chinese questions: "我还有哪些task", "我的todo呢".
    r"|(?:有|剩|剩下|还有)(?:哪些|什么|几个|多少|啥)(?:tasks?|todos?|to-dos?)"
    r"|(?:查|看|列|列出|发)(?:一下|下|看)?(?:我|[\u4e00-\u9fff]{1,4})的(?:任务|待办)"
    r"|任务(?:列表|清单)|待办(?:事项)?(?:列表|清单|有哪些)|(?:手上|手里)(?:还有|有)(?:什么|哪些|多少|几个)",
    re.IGNORECASE,
)
QUERY_PROGRESS = re.compile(
    r"(?:进度|进展|完成情况|完成度|完成率)(?:怎么样|如何|咋样|到哪|多少|情况|汇报|报告|同步|怎样|呢|\?|？|$)"
    r"|(?:看|查|汇报|报告|同步|说)(?:一下|下)?(?:项目)?(?:进度|进展)|做到哪(?:一步|了)|到哪一步了",
)
QUERY_OVERDUE = re.compile(
    r"逾期|超期|过期的|拖期|overdue|延期的(?:任务|事)|延期了的|超时的(?:任务)|没按时完成的|哪些(?:任务)?延期",
    re.IGNORECASE,
)
QUERY_MEETINGS = re.compile(
    r"有(?:什么|哪些|几个|几场|多少|没有|啥)(?:会议?|例会)|有会(?:议)?(?:吗|么|嘛|没|不)|会议(?:安排|日程|列表)"
    r"|(?:什么|哪些|几个)会议?(?:要开|安排)|有没有(?:会议?|例会)|开什么会|有几个会"
    r"|有(?:什么|哪些|几个|没有|啥)?\s?meetings?(?:吗|么|嘛|没|不|[?？]|$)"
    r"|(?<![A-Za-z])(?:what|which|any)\s+meetings?(?![A-Za-z])|(?<![A-Za-z])meetings?\s+(?:today|tomorrow|this week|next week)",
    re.IGNORECASE,
)
# Question words that make a query: "我还有哪些任务" has no question mark.
# Question words that make a query: "我还有哪些任务" has no question mark.
QUERY_ASK = re.compile(
    r"哪些|什么|多少|几个|几项|几场|啥|有没有|怎么样|如何|咋样|到哪|吗|么|[?？]|查|看|列|汇报|报告|统计"
)
QUESTION = re.compile(
    # "排好了没", "发了没有", "到了吧？": questions whose only mark is 没 / 没有 at the end.
    r"了没(?:有)?[吧呀啊]?$|没有[吧呀啊]?$(?<!还没有)|(?<![还并都也从])没[吧呀啊]?$|[?？]|吗|么$|嘛$|呢$|是不是|是否|有没有|要不要|能不能|可不可以|会不会|对不对|行不行|好不好|怎么办|怎么样|"
    r"如何|为什么|为啥|什么时候|几点|谁来|谁负责|谁去|哪里|哪天|多久|咋办|咋样|"
    # "周六还是周日去拉货啊": a choice question ends in a particle.
    r"还是[^,，。]{1,16}[啊呀呢嘛][\s~。]*$|"
    # A-not-A questions: 够不够, 来不来, 批不批.
    r"(?P<a_not_a>[\u4e00-\u9fff])不(?P=a_not_a)",
)
POLITE_REQUEST = re.compile(r"能不能|能否|可不可以|可以|麻烦|帮忙|帮我")
CALENDAR_QUESTION = re.compile(
    r"放假|假期|节假日|休息日|调休|补班|上班吗|要上班|是工作日|是周末|几号|星期几|周几|"
    r"是不是(?:要|有|该|得)[^,，。]{1,10}来着"
)
LEAVE = re.compile(
    r"请假|请个假|休假|年假|病假|事假|婚假|产假|陪产假|丧假|调休|不在公司|出差|外出|在家办公|居家办公|WFH|"
    r"不来了|来不了|晚点到|晚到|(?<![推别不])迟到|早退|先走了?|下班了",
    re.IGNORECASE,
)
LEAVE_STRONG = re.compile(r"请假|请个假|请了假|休假|年假|病假|事假|婚假|产假|陪产假|丧假")
EVALUATION = re.compile(
    r"(?:挺|很|蛮|非常|特别|还算|比较|超|真|太)(?:顺利|成功|圆满|精彩|热闹|满意|不错|好|棒|赞|累|辛苦|有收获|有意思)"
    r"|(?:顺利|圆满)(?:结束|完成)了|效果不错|反响不错|开得不错"
)
CHITCHAT = re.compile(
    r"^(?:谢谢|多谢|感谢|谢了|辛苦了?|辛苦啦|好的|好滴|好嘞|好|行|可以|ok|OK|okay|收到|了解|明白|知道了|"
    r"嗯+|哦+|噢|哈+|呵+|嘿嘿|在吗|在不在|早|早安|早上好|下午好|晚安|晚上好|拜拜|再见|没问题|"
    r"不客气|不用谢|厉害|牛|666+|赞|棒|\+1|1|对|是的|对的|没事|好吧|加油|冲|哈哈+|收到谢谢|好的谢谢|thx|thanks|"
    r"thank you|got it|noted|yes|no|nice|cool|了解了|好的收到|收到了)(?:大家|各位|你|您|啦|了|哈|呀|哈哈|老板|领导)*"
    r"[!！~～。.、,，\s]*$",
    re.IGNORECASE,
)
OPINION = re.compile(r"我觉得|我认为|感觉|个人觉得|我看|我想|估计|可能|应该是|好像|似乎|貌似|我猜")
HYPOTHETICAL = re.compile(r"如果|要是|假如|假设|万一|的话")
# Thinking aloud: "我想想…算了…再看吧", "要不先别动", "还没想好".
HESITANT = re.compile(
    r"我想想|想一想|想想看|算了|再看吧|再看看吧|再说吧|回头再说|还没想好|没想好|不确定|说不好|再议|看情况吧|要不(?:先|还是)|"
    r"再考虑|考虑一下吧|纠结|拿不准"
)
PAST_MARKER = re.compile(
    r"昨天|前天|上周|上个星期|上礼拜|上个月|刚才|刚刚|之前|去年|上次|那天|已经"
)
# A negated command to change something ("别取消明天的周会", "先不要推迟"): nothing to do.
NEGATED_CHANGE = re.compile(
    r"(?:别|不要|不用|不必|无需|没必要|千万别|千万不要|先别|先不要|暂时不要|暂时别)(?:急着|着急|再)?"
    r"(?:取消|推迟|延期|改期|挪|提前|删掉?|撤掉?|砍掉?)"
)
CONNECTIVE = re.compile(
    r"然后|另外|此外|顺便|同时|再就是|还有就是|其次|最后|接着|再一个|还有(?!哪|什么|多少|几|啥|没)"
)

LOCATION_ROOM = re.compile(
    r"(?P<loc>(?:[A-Za-z0-9一二三四五六七八九十]{1,4}(?:号楼|楼|层|F|f|号|座|区)){0,2}"
    r"[\u4e00-\u9fffA-Za-z0-9]{0,5}?(?:会议室|会客室|办公室|培训室|洽谈室|讨论室|茶水间|报告厅|多功能厅|大厅|前台|"
    r"工位|咖啡厅|食堂|阶梯教室|礼堂|会展中心|展厅|诊室|示教室|手术室|病房|机房|实验室|训练室|训练馆|"
    r"演播室|直播间|录音棚|阅览室|接待室|样板间))"
)
LOCATION_NAMED = re.compile(
    r"腾讯会议|飞书会议|飞书|钉钉会议|钉钉|企业微信会议|企微会议|企业微信|Zoom|zoom|Teams|teams|线上|视频会议|"
    r"电话会议|语音会议|Google Meet|Webex|线下"
)
REMIND = re.compile(
    r"(?:提前|会前|开会前|开始前|开场前)(?P<span>[^,，。;；\s]{1,8}?)(?:提醒|通知|叫|说一声|告诉|喊)"
)
PROJECT_CREATE = re.compile(
    r"(?:(?:新建|创建|新开|建立|建|立|起)(?:一个|个)?(?:新的?)?|开(?:一个|个)?新的?|(?:搞|弄|做|来|启动|上)(?:一个|个)(?:新的?)?)项目"
    r"(?![\u4e00-\u9fffA-Za-z0-9]{0,6}会)|项目立项|立个项|立项|"
    # "新接的【星河湾】项目", "新接了个项目": a project just taken on.
    r"新接(?:的|了)?(?:一个|个)?(?:新的?)?(?:【[^】]{1,20}】)?项目|(?:start|create|kick off|new)\s+(?:a\s+)?(?:new\s+)?project",
    re.IGNORECASE,
)

# Round 4: whole messages that report, announce, accept or defer — no action.
# "仓库那边说他们周五前会把…寄回来", "小东说他月底前会跟财务对一下": a third party's plan, reported.
REPORTED_PLAN = re.compile(
    r"^(?![我你咱])[^\s,，。@让叫要]{1,8}?(?:那边|这边|方面)?说(?:他们|她们|他|她|TA|ta)?"
    r"[^,，。让叫要]{0,16}?(?<![不])会(?!议|[话员计场所])"
)
# "…，请大家知悉", "已发群文件，请各位班主任查收", "【通知】…": a notice to read, not work to do.
NOTICE_END = re.compile(
    r"请(?:大家|各位|全体|诸位|各)?[\u4e00-\u9fff]{0,6}?(?:知悉|查收|周知|悉知|留意|注意查看)[\s。.!！~]*$"
)
# "没问题 交给我吧", "好嘞 包在我身上", "行 这个交给我": accepting work named elsewhere.
ACCEPT_ONLY = re.compile(
    r"^(?:(?:好的?|好嘞|好滴|行|可以|没问题|ok|OK|收到|嗯+|妥|放心)[\s,，。!！~]*)*"
    r"(?:这个|这事儿?|这件事|那个)?(?:交给我|包在我身上|我来安排|我来处理|我来跟进|我来|我来吧|我来搞|我来弄|我负责|放心)"
    r"(?:吧|啦|了|哈|就行|就好)?[\s,，。!！~]*$",
    re.IGNORECASE,
)
# "王芳在开会 等她出来再说", "老周在见客户 等他回来再定": someone is busy, the matter waits.
DEFERRAL = re.compile(
    r"等(?:他们|她们|他|她|TA|ta|[\u4e00-\u9fffA-Za-z]{1,3})?[\u4e00-\u9fff]{1,6}?(?:以后|之后|了)?"
    r"再(?:说|定|看看?|聊|议|讲|商量)(?:吧|哈|啊|呗)?[\s。!！~]*$"
    # "姚总在开会 等他出来再定报价": waiting on him or her, then deciding something.
    r"|等(?:他们|她们|他|她|TA|ta)[\u4e00-\u9fff]{1,6}?(?:以后|之后|了)?"
    r"再(?:说|定|看看?|聊|议|讲|商量|排|安排|决定|确定|拍板|敲定)[\u4e00-\u9fffA-Za-z0-9]{0,8}?(?:吧|哈|啊|呗)?[\s。!！~]*$"
)
# "我觉得…", "我建议…": a message that opens with an opinion or a suggestion.
OPINION_START = re.compile(r"^(?:我觉得|我认为|个人觉得|我感觉|我个人觉得|我建议|个人建议|建议)")

# "X那个事 转给Y吧 Z这周要去培训", "… 改由Y负责 Z下周去总部培训", "… 转给Y吧 你这两天先专心把…":
# after a strong hand-over, a part about the previous owner's time is its reason (round 5).
REASSIGN_THEN_REASON = re.compile(
    r"(?:转给|改由|改派给|移交给|转交给|转派给|交由|交给)\s*@?[^\s,，。]{1,8}?"
    r"(?:负责|来做|来跟|跟进|处理|来弄|来搞|接手|来接|接|做|来)?[吧了哈。!！~]*(?=[\s,，]+\S)"
)
OWNER_BUSY = re.compile(
    r"培训|出差|请假|休假|年假|病假|住院|开会|学习|进修|外派|轮岗|值班|忙|没空|没时间|顾不上|走不开|"
    r"专心|手头|手上|要去|得去|去[\u4e00-\u9fff]{0,6}(?:培训|学习|开会|出差)|调走|休息|产假|"
    r"在外面|在外地|外勤|跑客户|见客户|驻场|考试|备考"
)

# "…然后 都是明天早上五点之前弄好", "…嗯 都是周一之前": a deadline said once for every job listed
# before it (round 5). Matched on the clause with its times blanked.
ALL_DUE = re.compile(
    r"\s*(?:然后|嗯|那|就)?\s*(?:全|都|全都|统一)(?:是|要|得|在)?\s*(?:之前|以前|前)?\s*"
    r"(?:弄好|做完|完成|搞定|弄完|交|交给我|给我|提交|搞完|处理好|准备好|到位|好|弄完|干完)?"
    r"(?:就行|就可以|即可|就好)?[了吧哈啊。!！~\s]*"
)
