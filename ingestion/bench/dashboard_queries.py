"""The queries a dashboard over ``marts`` sends (Superset, Metabase, DataLens): what the benchmark times.

Each is what a chart of a committee's dashboard asks for the last 12 months the marts hold, read from
``marts.agg_appeals_monthly`` where it answers (volumes, overdue, topics by section and theme, territories),
and from the facts where it does not (results per question; a municipality's latest appeals). Queries take
the dashboard's filters as parameters (``%(name)s``, values from :data:`FILTERS`).
"""

from __future__ import annotations

# The dashboard's period: the 12 months up to the newest month the marts hold.
_LAST_12_MONTHS = (
    "month_start > (select max(month_start) from marts.agg_appeals_monthly) - interval '12 months'"
)
_LAST_12_MONTHS_FACTS = (
    "received_date >= (select max(month_start) from marts.agg_appeals_monthly) - interval '11 months'"
)

# What the dashboard's filters are set to, as a BI tool sends them: literal values (here: the municipality with
# the most appeals, looked up once before the queries are timed).
FILTERS: dict[str, str] = {
    "municipality_oktmo": """
        select t.municipality_oktmo
        from marts.agg_appeals_monthly as a
        join marts.dim_territory as t using (territory_key)
        where t.municipality_oktmo is not null
        group by 1
        order by sum(a.appeals) desc
        limit 1
    """,
}

DASHBOARD_QUERIES: dict[str, str] = {
    # line chart: appeals per month and channel
    "volume_by_month_and_channel": f"""
        select a.month_start, c.label_ru as channel, sum(a.appeals) as appeals
        from marts.agg_appeals_monthly as a
        join marts.dim_channel as c using (channel_code)
        where a.{_LAST_12_MONTHS}
        group by 1, 2
        order by 1, 3 desc
    """,
    # bar chart: the 10 classifier themes with the most questions, with their sections
    "top_topics": f"""
        select t.section_name, t.name as theme, sum(a.questions) as questions,
               round(100.0 * sum(a.questions) / sum(sum(a.questions)) over (), 1) as share
        from marts.agg_appeals_monthly as a
        join marts.dim_topic as t on t.topic_code = a.theme_code
        where a.{_LAST_12_MONTHS}
        group by 1, 2
        order by 3 desc
        limit 10
    """,
    # pie chart: results of the questions (per question: the grain of official reporting)
    "results": f"""
        select r.label_ru as result, r.result_group, count(*) as questions,
               round(100.0 * count(*) / sum(count(*)) over (), 1) as share
        from marts.fct_appeal_questions as q
        join marts.dim_result as r using (result_code)
        where q.{_LAST_12_MONTHS_FACTS}
        group by 1, 2
        order by 3 desc
    """,
    # line chart: share of overdue appeals per month and source
    "overdue_share": f"""
        select a.month_start, s.label_ru as source, sum(a.appeals) as appeals,
               sum(a.overdue_appeals) as overdue,
               round(100.0 * sum(a.overdue_appeals) / nullif(sum(a.appeals), 0), 1) as overdue_percent
        from marts.agg_appeals_monthly as a
        join marts.dim_source as s using (source_code)
        where a.{_LAST_12_MONTHS}
        group by 1, 2
        order by 1, 2
    """,
    # map / table: appeals per municipality with its ОКТМО code
    "appeals_by_territory": f"""
        select t.region_name, t.municipality_oktmo as oktmo, t.municipality_name as municipality,
               sum(a.appeals) as appeals, sum(a.questions) as questions,
               sum(a.overdue_appeals) as overdue, sum(a.answered_appeals) as answered
        from marts.agg_appeals_monthly as a
        join marts.dim_territory as t using (territory_key)
        where a.{_LAST_12_MONTHS}
        group by 1, 2, 3
        order by 4 desc
    """,
    # KPI tiles: this month against the same month a year earlier
    "kpi_this_month": """
        with bounds as (select max(month_start) as this_month from marts.agg_appeals_monthly)
        select sum(a.appeals) filter (where a.month_start = b.this_month) as appeals,
               sum(a.appeals) filter (where a.month_start = b.this_month - interval '1 year') as year_ago,
               sum(a.overdue_appeals) filter (where a.month_start = b.this_month) as overdue,
               sum(a.median_response_hours * a.answered_appeals) filter (where a.month_start = b.this_month)
                   / nullif(sum(a.answered_appeals) filter (where a.month_start = b.this_month
                       and a.median_response_hours is not null), 0) as response_hours
        from marts.agg_appeals_monthly as a, bounds as b
        where a.month_start in (b.this_month, b.this_month - interval '1 year')
    """,
    # drill-down table: the latest 100 appeals of the municipality picked in the dashboard's filter
    "latest_appeals_of_a_municipality": """
        select f.appeal_id, f.received_date, f.source_code, c.label_ru as channel, f.primary_topic_code,
               f.final_result_code, f.is_overdue
        from marts.fct_appeals as f
        join marts.dim_channel as c using (channel_code)
        where f.oktmo = %(municipality_oktmo)s
        order by f.received_date desc, f.appeal_id
        limit 100
    """,
}
