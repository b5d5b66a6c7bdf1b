"""The report's words in each language: one translation table.

:data:`LABELS_ZH` holds the report's own labels (sheet names, titles, notes; the keys of
``planner.report.excel.LABELS["en"]``). :data:`TERMS_ZH` translates the words that come from
``Results``: column headers (with their units), KPI names, units, cost terms and metadata keys.
Names of places, sites, hardware and classes are data and keep their given spelling. A word
missing from the table is shown as it is (in English) rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "zh")

LABELS_ZH: dict[str, str] = {
    "sheet.summary": "摘要",
    "sheet.sites": "站点",
    "sheet.hardware": "硬件构成",
    "sheet.links": "链路",
    "sheet.placement": "任务布局",
    "sheet.unserved": "未满足需求",
    "sheet.profiles": "负载曲线",
    "sheet.costs": "成本",
    "sheet.metadata": "元数据",
    "sheet.inputs_prefix": "输入_",
    "title.report": "planner 规划报告 — {scenario}",
    "title.objective": "目标函数各项（贡献 = 权重 × 数值）",
    "status.optimal": "状态：最优 — 间隙 {gap}",
    "status.time_limit": "已达时间上限停止 — 间隙 {gap}：为找到的最好方案，未证明最优",
    "status.stopped": "提前停止（{termination}）— 间隙 {gap}：为找到的最好方案，未证明最优",
    "status.other": "状态：{status}（{termination}）",
    "note.relaxed": "线性松弛：整数决策已松弛 — 不是可建设的方案",
    "note.warning": "警告：{text}",
    "note.unserved": "未满足需求：{value} PFLOPS·时/年（占需求 {share}）— 见工作表“{sheet}”",
    "note.units": "金额单位：{money}。目标值单位：{objective_unit}。求解器残差（低于需求 {dust:g} 的布局与未满足需求、低于总成本 {dust:g} 的成本项）不列入方案表与成本。",
    "line.run": "求解器 {solver} {version} · planner {planner} · 生成于 {created} UTC · 输入哈希 {hash}…",
    "total.costs": "合计",
    "total.objective": "目标值（各项贡献之和）",
    "total.solver_objective": "求解器报告的目标值",
    "chart.capacity": "各站点已装算力（PFLOPS）",
    "chart.hardware": "各站点各硬件算力（PFLOPS）",
    "chart.load": "各时段各类作业负载与闲置算力（已装 PFLOPS）",
    "chart.costs": "各项成本（{money}/年）",
    "axis.site": "站点",
    "axis.slice": "时段",
    "helper.class_column": "{job} 负载 PFLOPS",
    "helper.idle_column": "闲置算力 PFLOPS",
    "meta.key": "项目",
    "meta.value": "值",
    "none.summary": "无",
    "none.sites": "无 — 情景中没有站点",
    "none.hardware": "无 — 未安装硬件",
    "none.links": "无 — 方案中没有链路",
    "none.placement": "无 — 没有布局的需求",
    "none.unserved": "无 — 全部需求均已满足",
    "none.profiles": "无 — 没有站点有算力",
    "none.costs": "无",
    "none.objective": "无",
    "none.metadata": "无",
    "none.inputs": "无 — 空表",
}

#: Words from Results (headers, KPI names, units, cost terms, metadata keys) → Chinese.
TERMS_ZH: dict[str, str] = {
    # units
    "CNY/yr": "元/年",
    "CNY": "元",
    "MWh/yr": "兆瓦时/年",
    "tCO2/yr": "吨CO2/年",
    "PFLOPS·h/yr": "PFLOPS·时/年",
    "MW": "兆瓦",
    "s": "秒",
    "sites": "个",
    "units": "单位",
    "objective units": "目标单位",
    "PFLOPS": "PFLOPS",
    "h/yr": "时/年",
    "CNY/MWh": "元/兆瓦时",
    # summary and objective tables
    "kpi": "指标",
    "value": "数值",
    "unit": "单位",
    "term": "项目",
    "share": "占比",
    "what": "说明",
    "weight": "权重",
    "contribution": "贡献",
    "contribution (objective units)": "贡献（目标单位）",
    # KPI names
    "status": "状态",
    "objective": "目标值",
    "best bound": "最优界",
    "MIP gap": "MIP 间隙",
    "solve time": "求解时间",
    "total cost": "总成本",
    "sites open": "启用站点数",
    "PFLOPS installed": "已装算力",
    "PFLOPS built (new)": "新建算力",
    "IT MW installed": "已装 IT 功率",
    "energy": "能耗",
    "carbon": "碳排放",
    "green share": "绿电占比",
    "average utilisation": "平均利用率",
    "demand": "需求",
    "unserved demand": "未满足需求",
    "unserved share": "未满足占比",
    "link units built": "新建链路单位",
    # cost terms
    "capex_sites": "站点建设",
    "capex_hardware": "硬件投资",
    "fixed_om": "固定运维",
    "serving_cost": "服务成本",
    "unserved_cost": "未满足需求惩罚",
    "network_capex": "网络投资",
    "network_usage": "网络使用",
    "energy_cost": "电费",
    "green_premium": "绿电溢价",
    "carbon_cost": "碳成本",
    "policy_slack_cost": "政策目标缺口成本",
    "energy_mwh": "能耗（兆瓦时）",
    "carbon_t": "碳排放（吨CO2）",
    # sites
    "site": "站点",
    "region": "区域",
    "open": "启用",
    "existing": "既有",
    "modules": "模块数",
    "new PFLOPS": "新增 PFLOPS",
    "IT MW": "IT 功率 兆瓦",
    "max IT MW": "IT 功率上限 兆瓦",
    "PUE": "PUE",
    "avg utilisation": "平均利用率",
    "peak utilisation": "峰值利用率",
    "served PFLOPS·h/yr": "已服务 PFLOPS·时/年",
    "energy MWh/yr": "能耗 兆瓦时/年",
    "green MWh/yr": "绿电 兆瓦时/年",
    "carbon tCO2/yr": "碳排放 吨CO2/年",
    "open cost CNY/yr": "建站成本 元/年",
    "hardware capex CNY/yr": "硬件投资 元/年",
    "fixed O&M CNY/yr": "固定运维 元/年",
    "energy cost CNY/yr": "电费 元/年",
    "green premium CNY/yr": "绿电溢价 元/年",
    "carbon cost CNY/yr": "碳成本 元/年",
    # hardware
    "hardware": "硬件",
    "domestic": "国产",
    "existing modules": "既有模块",
    "new modules": "新增模块",
    "capex CNY": "投资 元",
    # links
    "link": "链路",
    "from": "起点",
    "to": "终点",
    "distance km": "距离 公里",
    "latency ms": "时延 毫秒",
    "existing units": "既有单位",
    "new units": "新增单位",
    "Gbps per direction": "单向带宽 Gbps",
    "avg utilisation →": "平均利用率 →",
    "peak utilisation →": "峰值利用率 →",
    "TB/yr →": "流量 TB/年 →",
    "avg utilisation ←": "平均利用率 ←",
    "peak utilisation ←": "峰值利用率 ←",
    "TB/yr ←": "流量 TB/年 ←",
    "capex CNY/yr": "投资 元/年",
    # placement, unserved, profiles
    "class": "作业类别",
    "site region": "站点区域",
    "share of demand": "需求占比",
    "slice": "时段",
    "weight h/yr": "权重 时/年",
    "load PFLOPS": "负载 PFLOPS",
    "capacity PFLOPS": "算力容量 PFLOPS",
    "utilisation": "利用率",
    "energy MW": "用电 兆瓦",
    "demand PFLOPS (all regions)": "需求 PFLOPS（全部区域）",
    "price CNY/MWh": "电价 元/兆瓦时",
    # metadata keys
    "scenario": "情景",
    "description": "说明",
    "source": "来源",
    "input hash (SHA-256)": "输入哈希（SHA-256）",
    "year": "年份",
    "termination": "终止原因",
    "objective value": "目标值",
    "relaxed (LP)": "线性松弛",
    "solve time s": "求解时间 秒",
    "compile time s": "编译时间 秒",
    "MIP start time s": "MIP 初始解时间 秒",
    "MIP start objective": "MIP 初始解目标值",
    "solver": "求解器",
    "solver version": "求解器版本",
    "solver options": "求解器选项",
    "model size": "模型规模",
    "planner version": "planner 版本",
    "pyomo version": "pyomo 版本",
    "created (UTC)": "生成时间（UTC）",
    # policy sheet
    "lever": "政策杠杆",
    "scope": "范围",
    "target": "目标",
    "sense": "方向",
    "target value": "目标值",
    "achieved": "实际值",
    "binding": "是否起约束作用",
    "slack used": "松弛量",
    "slack unit": "松弛单位",
    "slack cost CNY/yr": "松弛成本 元/年",
    "shadow price CNY/yr per slack unit": "影子价格 元/年/松弛单位",
    # network value sheet
    "metric": "指标",
    "networked": "联网方案",
    "isolated": "孤立方案",
    "local-first": "本地优先方案",
    "isolated − networked": "孤立 − 联网",
    "isolated vs networked": "孤立 相对 联网",
    "local-first − networked": "本地优先 − 联网",
    "local-first vs networked": "本地优先 相对 联网",
    "cost excluding penalties": "不含惩罚项的成本",
    "policy penalty": "政策目标缺口惩罚",
    "site capex": "站点投资",
    "hardware capex": "硬件投资",
    "fixed O&M": "固定运维",
    "energy cost": "电费",
    "network capex": "网络投资",
    "unserved cost": "未满足需求成本",
    "PFLOPS built": "新建算力",
    # decomposed solve (Iterations sheet)
    "Iterations": "迭代",
    "iteration": "迭代",
    "phase": "阶段",
    "lower bound": "下界",
    "best plan": "最优方案",
    "master s": "主问题 秒",
    "subproblems s (wall)": "子问题 秒（墙钟）",
    "subproblems CPU s": "子问题 CPU 秒",
    "cuts": "割平面数",
    "best LP point": "最优线性松弛点",
    # demand futures
    "future": "需求情景",
    "Futures": "需求情景",
    "Value of information": "信息价值",
    "Idle compute": "闲置算力",
    "probability": "概率",
    "futures": "需求情景",
    "objective (futures)": "目标（多情景）",
    "CVaR": "条件风险价值 CVaR",
    "largest regret": "最大后悔值",
    "idle compute": "闲置算力",
    "idle PFLOPS·h/yr": "闲置算力 PFLOPS·时/年",
    "unserved PFLOPS·h/yr": "未满足 PFLOPS·时/年",
    "expected CNY/yr": "期望 元/年",
    "expected CNY": "期望 元（折现）",
    "expected contribution": "期望贡献",
    "CNY/yr (expected)": "元/年（期望）",
    "CNY (discounted, expected)": "元（折现，期望）",
    "PFLOPS·h/yr (expected)": "PFLOPS·时/年（期望）",
    "PFLOPS·h (all periods, expected)": "PFLOPS·时（全部规划期，期望）",
    "MWh/yr (expected)": "兆瓦时/年（期望）",
    "tCO2/yr (expected)": "吨CO2/年（期望）",
    "MWh (all periods, expected)": "兆瓦时（全部规划期，期望）",
    "tCO2 (all periods, expected)": "吨CO2（全部规划期，期望）",
    "value of the stochastic solution": "随机解的价值 (VSS)",
    "expected value of perfect information": "完全信息的期望价值 (EVPI)",
    "expected served PFLOPS·h/yr": "期望已服务 PFLOPS·时/年",
    "expected idle PFLOPS·h/yr": "期望闲置 PFLOPS·时/年",
    "expected utilisation": "期望利用率",
    "quantity": "量",
    "meaning": "含义",
    "cost of expected-demand plan CNY/yr": "按期望需求规划的成本 元/年",
    "cost planned alone CNY/yr": "单独规划的成本 元/年",
    "regret CNY/yr": "后悔值 元/年",
    "cost CNY (discounted)": "成本 元（折现）",
    "cost of expected-demand plan CNY (discounted)": "按期望需求规划的成本 元（折现）",
    "cost planned alone CNY (discounted)": "单独规划的成本 元（折现）",
    "regret CNY (discounted)": "后悔值 元（折现）",
    # announced baseline
    "Announced vs coordinated": "公布产能与统筹规划",
    "Announced by site": "公布产能·按站点",
    "Announced by region": "公布产能·按区域",
    "Announced by hub": "公布产能·按枢纽",
    "hub": "枢纽",
    "coordinated": "统筹规划",
    "announced": "公布产能",
    "difference (announced − coordinated)": "差值（公布 − 统筹）",
    "idle PFLOPS (average)": "闲置算力 PFLOPS（平均）",
    "stranded modules": "搁浅模块",
    "stranded new modules": "搁浅新模块",
    "stranded capital CNY": "搁浅投资 元",
    "expected cost": "期望成本",
    "announced baseline: extra cost": "公布产能基线：多出的成本",
    "announced baseline: extra idle PFLOPS": "公布产能基线：多出的闲置算力",
    "announced baseline: extra stranded capital": "公布产能基线：多出的搁浅投资",
    # several periods
    "period": "规划期",
    "Periods": "规划期",
    "Build schedule": "建设计划",
    "Link schedule": "链路建设计划",
    "Myopic steps": "逐期求解步骤",
    "years": "年数",
    "discount factor": "折现系数",
    "period weight yr": "规划期权重 年",
    "discounted CNY": "折现 元",
    "discounted cost CNY": "折现成本 元",
    "cost CNY/yr": "成本 元/年",
    "CNY (discounted)": "元（折现）",
    "planning": "规划方式",
    "periods": "规划期",
    "PFLOPS in service": "在役算力 PFLOPS",
    "PFLOPS bought": "新购算力 PFLOPS",
    "PFLOPS retired": "退役算力 PFLOPS",
    "bought modules": "新购模块",
    "retired modules": "退役模块",
    "modules in service": "在役模块",
    "brownfield in service": "在役既有模块",
    "capex of purchases CNY": "采购投资 元",
    "units built": "新建单位",
    "units in service": "在役单位",
    "demand PFLOPS·h/yr": "需求 PFLOPS·时/年",
    "discount rate": "折现率",
    "Installed PFLOPS by period": "各规划期在役算力",
    "Discounted cost by period": "各规划期折现成本",
    "plan time s": "规划时间 秒",
    "Cost by period": "各规划期成本",
    "step": "步骤",
    "gap": "间隙",
    # representative days
    "Representative days": "典型日",
    "Reduction error": "聚类误差",
    "Reduction settings": "聚类设置",
    "day": "典型日",
    "day of year (1-365)": "年内第几天 (1-365)",
    "date (MM-DD)": "日期 (月-日)",
    "days represented (days/yr)": "代表天数 (天/年)",
    "slice weight (h/yr)": "时段权重 (时/年)",
    "peak day": "峰值日",
    "member days (day of year)": "所代表的日 (年内第几天)",
    "profile": "曲线",
    "used as": "用途",
    "mean, full year (unit)": "全年均值 (单位)",
    "mean, reduced (unit)": "聚类后均值 (单位)",
    "mean error (%)": "均值误差 (%)",
    "max, full year (unit)": "全年最大值 (单位)",
    "max, reduced (unit)": "聚类后最大值 (单位)",
    "RMSE (unit)": "均方根误差 (单位)",
    "MAE (unit)": "平均绝对误差 (单位)",
    "RMSE (% of mean)": "均方根误差 (占均值 %)",
    "max kept": "保留最大值",
    "setting": "设置",
}

#: Code names from Results → words an analyst reads (English). Column headers are already words.
TERMS_EN: dict[str, str] = {
    "capex_sites": "site opening (annualised)",
    "capex_hardware": "hardware capex (annualised)",
    "fixed_om": "fixed O&M",
    "serving_cost": "serving cost",
    "unserved_cost": "penalty for unserved work",
    "network_capex": "network capex (annualised)",
    "network_usage": "network usage",
    "energy_cost": "electricity",
    "green_premium": "green-power premium",
    "carbon_cost": "carbon cost",
    "policy_slack_cost": "penalty for missed policy targets",
    "energy_mwh": "energy (MWh/yr)",
    "carbon_t": "carbon (tCO2/yr)",
    "solve time": "solve time (solver stage, wall clock)",
    "CPU time": "CPU time (solver stage)",
    "best bound": "best bound (lower bound on the objective)",
    "sites open": "sites open",
}

#: Input table names on the In_ / 输入_ sheets, by language.
INPUT_TABLES: dict[str, dict[str, str]] = {
    "en": {},  # the scenario's own table names, as in its files
    "zh": {
        "time_slices": "时段",
        "regions": "区域",
        "sites": "站点",
        "hardware": "硬件",
        "existing_modules": "既有模块",
        "job_classes": "作业类别",
        "demand": "需求",
        "demand_growth": "需求增长",
        "links": "链路",
        "serving_costs": "服务成本",
        "latency": "时延",
        "profiles": "曲线",
        "periods": "规划期",
        "targets": "政策目标",
    },
}

#: Input table names → Chinese (the 输入_ sheets), and solver words.
TERMS_ZH.update(
    {
        "optimal": "最优",
        "feasible": "可行（未证明最优）",
        "gap_too_large": "间隙过大",
        "infeasible": "不可行",
        "unbounded": "无界",
        "no_solution": "无解",
        "error": "错误",
        "yes": "是",
        "no": "否",
        "CPU time": "CPU 时间",
        "solve time": "求解时间（求解阶段墙钟时间）",
        "HiGHS time s": "HiGHS 时间 秒",
        "CPU time s": "CPU 时间 秒",
        "objective unit": "目标值单位",
        "money unit": "货币单位",
        "solver dust threshold": "求解器残差阈值",
        "best bound": "最优界（目标值下界）",
        "served work": "已服务工作",
        "cost per PFLOPS·h served": "每 PFLOPS·时已服务工作的成本",
        "CNY/PFLOPS·h": "元/PFLOPS·时",
        "cost": "成本",
        "PFLOPS installed": "已装算力",
        "perfect foresight": "完全预见",
        "myopic": "逐期（短视）",
    }
)

TERMS: dict[str, Mapping[str, str]] = {"en": TERMS_EN, "zh": TERMS_ZH}


def term(text: str, lang: str) -> str:
    """``text`` (a header, KPI name, unit, cost term or metadata key) in ``lang``.

    ``cost: <term>`` KPI names translate both parts. Anything not in the table is returned as
    it is, so names of places and other data keep their given spelling.
    """
    table = TERMS.get(lang) or {}
    if not table:
        return text
    if text in table:
        return table[text]
    if text.startswith("cost in future ") and lang == "zh":
        return f"情景 {text[15:]} 的成本"
    for suffix, zh in (
        (" coordinated", "（统筹）"),
        (" announced", "（公布）"),
        (" difference", "（差值）"),
    ):
        if lang == "zh" and text.endswith(suffix) and text[: -len(suffix)] in table:
            return table[text[: -len(suffix)]] + zh
    if text.startswith("load PFLOPS: ") and lang == "zh":
        return f"负载 PFLOPS：{text[13:]}"
    if text.startswith("utilisation ") and lang == "zh":
        return f"利用率 {text[12:]}"
    if text.startswith("cost: "):
        return (
            f"成本：{table.get(text[6:], text[6:])}"
            if lang == "zh"
            else f"cost: {table.get(text[6:], text[6:])}"
        )
    return text


#: What each cost term adds up (the Costs sheet's "what" column), in Chinese; keyed by term.
COST_WHAT_ZH: dict[str, str] = {
    "capex_sites": "新站点建站成本年化：Σ 建站成本 × 资本回收系数(i, 建站寿命) × 启用",
    "capex_hardware": "新增模块投资年化：Σ 投资 × 资本回收系数(i, 硬件寿命) × (模块数 − 既有模块)",
    "fixed_om": "全部在役模块的固定运维：Σ 固定运维比例 × 投资 × 模块数",
    "serving_cost": "Σ 时段权重 × 服务成本[区域, 站点] × 布局量（元/PFLOPS·时）",
    "unserved_cost": "Σ 时段权重 × 未满足需求单价[作业类别] × 未满足量（未完成工作的代价）",
    "network_capex": "Σ 链路单位成本 × 新建单位 + 固定成本 × 是否新建（元/年）",
    "network_usage": "Σ 时段权重 × (每 TB 使用费 × 流量 TB + 网络能耗 × 网络电价)",
    "energy_cost": "Σ 时段权重 × 电价[站点, 时段] × 用电[站点, 时段]",
    "green_premium": "Σ 时段权重 × 绿电溢价[站点] × 绿电[站点, 时段]",
    "carbon_cost": "碳价 × 碳排放",
    "policy_slack_cost": "Σ 政策目标缺口单价 × 缺口量：未达政策目标的代价",
}

#: Field names of the input tables (the 输入_ sheets' headers) in Chinese; the field name follows in brackets.
INPUT_FIELDS_ZH: dict[str, str] = {
    "name": "名称",
    "weight": "权重 时/年",
    "day": "典型日",
    "source": "来源",
    "note": "备注",
    "lat": "纬度",
    "lon": "经度",
    "label_zh": "中文名",
    "tags": "标签",
    "region": "区域",
    "pue": "PUE",
    "price_mwh": "电价 元/兆瓦时",
    "grid_tco2_mwh": "电网排放因子 吨CO2/兆瓦时",
    "green_share_max": "绿电占比上限",
    "green_premium_mwh": "绿电溢价 元/兆瓦时",
    "open_cost": "建站成本 元",
    "open_life_years": "建站寿命 年",
    "max_it_mw": "IT 功率上限 兆瓦",
    "max_modules": "模块数上限",
    "existing": "既有",
    "pflops": "算力 PFLOPS",
    "kw": "功率 千瓦",
    "idle_frac": "空载功率比例",
    "capex": "投资 元",
    "life_years": "寿命 年",
    "fixed_om_frac": "固定运维比例",
    "domestic": "国产",
    "available_from": "可用起始年",
    "available_to": "可用截止年",
    "site": "站点",
    "hardware": "硬件",
    "modules": "模块数",
    "retire_year": "退役年",
    "max_latency_ms": "时延上限 毫秒",
    "gbps_per_pflops": "每 PFLOPS 带宽 Gbps",
    "efficiency": "效率",
    "shiftable": "可平移",
    "unserved_cost": "未满足需求单价 元/PFLOPS·时",
    "single_site": "单站点",
    "class": "作业类别",
    "pflops_avg": "平均需求 PFLOPS",
    "profile": "曲线",
    "from": "起点",
    "to": "终点",
    "distance_km": "距离 公里",
    "latency_ms": "时延 毫秒",
    "unit_gbps": "单位带宽 Gbps",
    "unit_cost": "单位成本 元/年",
    "fixed_cost": "固定成本 元/年",
    "max_units": "单位上限",
    "existing_units": "既有单位",
    "usage_cost_tb": "使用费 元/TB",
    "kwh_per_tb": "能耗 千瓦时/TB",
    "one_way": "单向",
    "slice": "时段",
    "year": "年份",
    "years": "年数",
    "rate": "增长率",
    "domestic_min_share": "国产占比下限",
    "indicator": "指标",
    "sense": "方向",
    "value": "目标值",
    "scope": "范围",
    "job_class": "作业类别",
    "ms": "时延 毫秒",
    "new_only": "仅新建",
    "label": "英文名",
    "province": "省份",
    "cost_mwh": "成本",
}


def input_header(field: str, lang: str) -> str:
    """The header of an input-table column: the field name (en), or ``中文 (field)`` (zh)."""
    if lang != "zh":
        return field
    zh = INPUT_FIELDS_ZH.get(field)
    return f"{zh} ({field})" if zh else field


def termination_text(text: str, lang: str) -> str:
    """The solver's termination words in ``lang`` (known phrases; anything else as HiGHS said it)."""
    if lang != "zh":
        return text
    import re

    m = re.fullmatch(r"within ([0-9.eE+-]+) of the LP relaxation bound \(MIP start\)", text)
    if m:
        return f"MIP 初始解与线性松弛下界之差在 {m.group(1)} 以内"
    return {
        "Optimal": "最优",
        "Time limit reached": "已达时间上限",
        "Infeasible": "不可行",
        "Primal infeasible or unbounded": "不可行或无界",
        "Unbounded": "无界",
    }.get(text, text)
