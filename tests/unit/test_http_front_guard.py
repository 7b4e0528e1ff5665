"""The read-only statement check, on `EXPLAIN AST` output as chDB 4.4 (ClickHouse 26.9) prints it."""

from __future__ import annotations

import pytest

from warehouse.errors import ClickHouseError
from warehouse.guard import check_ast, check_formatted, check_statement, parse_ast

TIME_BUCKETS = """\
SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 4)
   ExpressionList (children 2)
    Function toStartOfMinute (alias t) (children 1)
     ExpressionList (children 1)
      Identifier observed_at
    Function count (children 1)
     ExpressionList
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      TableIdentifier camera_vehicle_counts
   Function in (children 1)
    ExpressionList (children 2)
     Identifier camera_id
     Subquery (children 1)
      SelectWithUnionQuery (children 1)
       ExpressionList (children 1)
        SelectQuery (children 2)
         ExpressionList (children 1)
          Identifier camera_id
         TablesInSelectQuery (children 1)
          TablesInSelectQueryElement (children 1)
           TableExpression (children 1)
            TableIdentifier cameras
   ExpressionList (children 1)
    Identifier t
"""


def from_table(expression: str) -> str:
    """`SELECT * FROM <expression>` as EXPLAIN AST prints it, the expression being a table or a call."""
    return (
        "SelectWithUnionQuery (children 1)\n ExpressionList (children 1)\n  SelectQuery (children 2)\n"
        "   ExpressionList (children 1)\n    Asterisk\n   TablesInSelectQuery (children 1)\n"
        "    TablesInSelectQueryElement (children 1)\n     TableExpression (children 1)\n"
        f"      {expression}\n"
    )


def select_function(name: str) -> str:
    """`SELECT <name>('x')` as EXPLAIN AST prints it."""
    return (
        "SelectWithUnionQuery (children 1)\n ExpressionList (children 1)\n  SelectQuery (children 1)\n"
        f"   ExpressionList (children 1)\n    Function {name} (children 1)\n"
        "     ExpressionList (children 1)\n      Literal 'x'\n"
    )


IN_RESTRICTED = """\
SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 3)
   ExpressionList (children 1)
    Literal UInt64_1
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      TableIdentifier t
   Function in (children 1)
    ExpressionList (children 2)
     Identifier a
     Identifier ioc.restricted_plates
"""


def test_the_ast_is_read_with_depth_kind_and_argument() -> None:
    nodes = parse_ast(TIME_BUCKETS)
    assert nodes[0].kind == "SelectWithUnionQuery"
    assert (nodes[4].depth, nodes[4].kind, nodes[4].argument) == (4, "Function", "toStartOfMinute")
    assert [n.argument for n in nodes if n.kind == "TableIdentifier"] == ["camera_vehicle_counts", "cameras"]


@pytest.mark.parametrize(
    "ast",
    [
        TIME_BUCKETS,
        from_table("TableIdentifier ioc.indicators_current (alias i)"),
        from_table("TableIdentifier system.tables"),
        from_table("TableIdentifier system.One"),
        from_table("Function numbers (children 1)"),
        select_function("toStartOfInterval"),
        "ShowTables (children 1)\n Identifier ioc\n",
        "DescribeQuery (children 1)\n TableExpression (children 1)\n  TableIdentifier ioc.t\n",
    ],
)
def test_reads_of_the_platform_and_metadata_may_run(ast: str) -> None:
    check_ast("analyst", parse_ast(ast), "ioc")


@pytest.mark.parametrize(
    ("ast", "code"),
    [
        ("KillQueryQuery Literal_UInt64_1 ASYNC (children 1)\n Literal UInt64_1\n", 164),
        ("SYSTEM query\n", 164),
        ("CheckQuery ioc t (children 2)\n Identifier ioc\n Identifier t\n", 164),
        (from_table("TableIdentifier restricted_plates"), 497),
        (from_table("TableIdentifier ioc.Restricted_Plates (alias p)"), 497),
        (IN_RESTRICTED, 497),
        (
            "ShowCreateTableQuery ioc restricted_plates (children 2)\n Identifier ioc\n Identifier restricted_plates\n",
            497,
        ),
        (from_table("TableIdentifier other.t"), 497),
        (from_table("TableIdentifier system.processes"), 497),
        (from_table("TableIdentifier system.query_log (alias q)"), 497),
        (from_table("TableIdentifier INFORMATION_SCHEMA.COLUMNS"), 497),
        ("ExistsTableQuery system processes (children 2)\n Identifier system\n Identifier processes\n", 497),
        (from_table("Function merge (children 1)"), 497),
        (from_table("Function url (children 1)"), 497),
        (select_function("FILE"), 497),
        (select_function("dictGet"), 497),
        (select_function("joinGet"), 497),
    ],
)
def test_what_readonly_would_let_through_is_refused(ast: str, code: int) -> None:
    with pytest.raises(ClickHouseError) as refused:
        check_ast("analyst", parse_ast(ast), "ioc")
    assert refused.value.code == code


def test_a_system_table_without_a_grant_is_refused_naming_the_grant() -> None:
    with pytest.raises(ClickHouseError) as refused:
        check_ast("analyst", parse_ast(from_table("TableIdentifier parts")), "system")  # `database=system`
    assert "necessary to have the grant SELECT ON system.parts" in refused.value.message


@pytest.mark.parametrize(
    "formatted",
    ["SHOW PROCESSLIST", "SHOW CLUSTERS", "SHOW MERGES", "show  dictionaries", "SHOW INDEX FROM t"],
)
def test_show_statements_reading_other_system_tables_are_refused(formatted: str) -> None:
    with pytest.raises(ClickHouseError) as refused:
        check_formatted("analyst", formatted)
    assert refused.value.code == 497 and "grant SELECT ON system." in refused.value.message


@pytest.mark.parametrize("formatted", ["SHOW TABLES", "SHOW DATABASES", "SHOW SETTINGS LIKE 'max%'"])
def test_show_statements_reading_listed_tables_may_run(formatted: str) -> None:
    check_formatted("analyst", formatted)


def test_writing_a_file_is_refused() -> None:
    check_formatted("analyst", "SELECT 'INTO OUTFILE'\nFORMAT JSON\n")
    with pytest.raises(ClickHouseError) as refused:
        check_formatted("analyst", "SELECT 1\nINTO OUTFILE '/tmp/x'\n")
    assert refused.value.code == 164


def test_the_engine_parses_the_single_statement_before_explaining_it() -> None:
    asked: list[str] = []

    def run(sql: str, params: dict[str, str]) -> str:
        asked.append(sql)
        return "SELECT 1\n" if sql.startswith("SELECT formatQuery") else TIME_BUCKETS

    check_statement("analyst", "SELECT 'it''s'", {}, "ioc", run)
    # The query reaches formatQuery as an escaped literal, and EXPLAIN only after it was accepted.
    assert asked == ["SELECT formatQuery('SELECT \\'it\\'\\'s\\'')", "EXPLAIN AST SELECT 'it''s'"]
