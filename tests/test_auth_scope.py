"""Scope primitives: the organization and region subtrees, and SQL filters built from them."""

import pytest
from sqlalchemy import text

from app.auth import Identity, org_clause, org_subtree_ids, region_clause, region_subtree_ids
from app.auth.scope import Scope, scope_for
from tests.auth_support import make_accounts


@pytest.fixture
def accounts(session, test_regions):
    return make_accounts(session)


def _region(session, adcode):
    return session.execute(text("SELECT id FROM regions WHERE adcode = :a"), {"a": adcode}).scalar_one()


def test_org_subtree_is_the_node_and_everything_below(session, accounts):
    tree = accounts.tree
    assert org_subtree_ids(session, tree.west) == sorted([tree.west, tree.west_branch])
    assert org_subtree_ids(session, tree.city) == sorted([tree.city, tree.west, tree.west_branch, tree.east])
    assert org_subtree_ids(session, tree.east) == [tree.east]


def test_region_subtree_follows_parent_links(session, test_regions):
    city, west, east = (_region(session, a) for a in ("990100", "990101", "990102"))
    assert region_subtree_ids(session, city) == sorted([city, west, east])
    assert region_subtree_ids(session, west) == [west]


def test_org_admin_scope_is_its_subtree_and_its_region(session, accounts):
    identity = Identity(accounts.west_admin, "west-admin", "org_admin", accounts.tree.west)
    scope = scope_for(session, identity)
    assert scope.org_ids == {accounts.tree.west, accounts.tree.west_branch}
    assert scope.region_ids == {_region(session, "990101")}
    assert scope.has_org(accounts.tree.west_branch) and not scope.has_org(accounts.tree.east)
    assert not scope.has_org(None)
    assert not scope.all and scope.admin


def test_super_admin_sees_everything_and_members_nothing(session, accounts):
    assert scope_for(session, Identity(accounts.super_admin, "root", "super_admin")).has_org(
        accounts.tree.east
    )
    member = scope_for(session, Identity(accounts.member, "party-member", "member"))
    assert not member.has_org(accounts.tree.east) and not member.admin


@pytest.mark.parametrize(
    ("role", "expected"),
    [("org_admin", {"T-WEST", "T-WEST-B1"}), ("super_admin", {"T-CITY", "T-WEST", "T-WEST-B1", "T-EAST"})],
)
def test_the_sql_filter_limits_rows_in_the_database(session, accounts, role, expected):
    scope = scope_for(session, Identity(1, "x", role, accounts.tree.west if role == "org_admin" else None))
    sql = text(
        f"SELECT code FROM organizations o WHERE {org_clause('o.id')} AND {region_clause('o.region_id')}"
    )
    found = set(session.execute(sql, scope.params()).scalars())
    # T-CITY sits in the city region, outside the west admin's region subtree.
    assert found == expected


def test_an_empty_scope_matches_no_row(session, accounts):
    sql = text(f"SELECT count(*) FROM organizations WHERE {org_clause('id')}")
    assert session.execute(sql, Scope(None, "visitor").params()).scalar_one() == 0


def test_clause_refuses_anything_but_a_column_name():
    with pytest.raises(ValueError):
        org_clause("id; DROP TABLE users")
