"""`qbank person add|list` and `qbank key new|list|export`: people and their signing keys."""

from __future__ import annotations

import click

from cli._common import (
    common_options,
    emit_json,
    emit_table,
    json_option,
    qbank_errors,
    t,
    transaction,
)
from qbank import audit, keys
from qbank.people import ROLES, add_person, get_person, list_people, set_public_key


@click.group("person")
def person_group() -> None:
    """人员与角色 / people and roles."""


@person_group.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLES),
    help="角色，可多次给出 / role (repeatable)",
)
@common_options
@qbank_errors
def person_add(name: str, roles: tuple[str, ...]) -> None:
    """登记人员及其角色 / register a person.

    \b
    角色 / roles: expert 命题专家, reviewer 审题专家, staff 考务人员,
    regulator 鉴定中心/督导员, institution 评价机构（用于备案签名）
    \b
    例 / Example:
      qbank person add 李工 --role reviewer
      qbank person add 湖南某技师学院 --role institution
    """
    with transaction() as session:
        person = add_person(session, name, roles, actor=audit.current_actor())
        click.echo(t("people.added", name=person.name, roles=person.roles))


@person_group.command("list")
@json_option
@common_options
@qbank_errors
def person_list(as_json: bool) -> None:
    """列出人员、角色与公钥指纹 / list people.

    \b
    例 / Example:
      qbank person list --json
    """
    with transaction() as session:
        rows = [(p.name, p.roles, p.key_fingerprint or "") for p in list_people(session)]
    if as_json:
        emit_json(
            [{"name": n, "roles": r.split(","), "fingerprint": f or None} for n, r, f in rows]
        )
    else:
        emit_table(
            [(n, r, f[:16]) for n, r, f in rows],
            (t("people.col.name"), t("people.col.roles"), t("people.col.fingerprint")),
        )


@click.group("key")
def key_group() -> None:
    """签名密钥（加密保存在数据库之外） / signing keys, kept encrypted outside the database."""


@key_group.command("new")
@click.argument("name")
@common_options
@qbank_errors
def key_new(name: str) -> None:
    """为已登记人员生成 Ed25519 签名密钥，私钥以口令加密保存在密钥库（$QBANK_KEYS） / new key.

    口令从提示输入，脚本可用环境变量 QBANK_PASSPHRASE。

    \b
    例 / Example:
      qbank key new 李工
    """
    with transaction() as session:
        person = get_person(session, name)
        passphrase = keys.passphrase_from_env_or_prompt(
            t("keys.prompt_new", name=name), confirm=True
        )
        info = keys.generate(person.name, passphrase)
        set_public_key(session, person, info.public_key_raw, actor=audit.current_actor())
    click.echo(
        t(
            "keys.created",
            name=info.name,
            fingerprint=info.fingerprint,
            path=str(keys.keystore_dir()),
        )
    )


@key_group.command("list")
@json_option
@common_options
@qbank_errors
def key_list(as_json: bool) -> None:
    """列出本机密钥库中的密钥（只显示公钥指纹） / list keys in the keystore.

    \b
    例 / Example:
      qbank key list
    """
    infos = keys.list_keys()
    if as_json:
        emit_json(
            [
                {
                    "name": i.name,
                    "fingerprint": i.fingerprint,
                    "created_at": i.created_at.isoformat(),
                }
                for i in infos
            ]
        )
    else:
        emit_table(
            [(i.name, i.fingerprint[:16], f"{i.created_at:%Y-%m-%d %H:%M}") for i in infos],
            (t("people.col.name"), t("people.col.fingerprint"), t("people.col.created")),
        )


@key_group.command("export")
@click.argument("name")
@common_options
@qbank_errors
def key_export(name: str) -> None:
    """输出公钥（一行文本，可交给鉴定中心） / print the public key for a regulator.

    \b
    例 / Example:
      qbank key export 李工 > 李工.pub
    """
    click.echo(keys.export_public(name))
