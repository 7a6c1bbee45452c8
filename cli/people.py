"""`qbank person add|list|show` and `qbank key …`: people, signing keys and age identities."""

from __future__ import annotations

from pathlib import Path

import click

from cli._common import (
    DB_INT,
    common_options,
    emit_json,
    emit_table,
    json_option,
    qbank_errors,
    t,
    transaction,
)
from cli._passphrase import passphrase_from_env_or_prompt
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
    """列出人员、角色、公钥指纹与 age 接收方 / list people.

    \b
    例 / Example:
      qbank person list --json
    """
    with transaction() as session:
        rows = [
            (p.name, p.roles, p.key_fingerprint or "", p.age_recipient or "")
            for p in list_people(session)
        ]
    if as_json:
        emit_json(
            [
                {
                    "name": n,
                    "roles": r.split(","),
                    "fingerprint": f or None,
                    "age_recipient": a or None,
                }
                for n, r, f, a in rows
            ]
        )
    else:
        emit_table(
            [(n, r, f[:16], a) for n, r, f, a in rows],
            (
                t("people.col.name"),
                t("people.col.roles"),
                t("people.col.fingerprint"),
                t("people.col.age_recipient"),
            ),
        )


@person_group.command("show")
@click.argument("name")
@json_option
@common_options
@qbank_errors
def person_show(name: str, as_json: bool) -> None:
    """显示一位人员的角色、签名公钥指纹与 age 接收方 / show a person.

    \b
    例 / Example:
      qbank person show 王老师
    """
    with transaction() as session:
        person = get_person(session, name)
        shown = {
            "name": person.name,
            "roles": person.roles.split(","),
            "fingerprint": person.key_fingerprint,
            "age_recipient": person.age_recipient,
        }
    if as_json:
        emit_json(shown)
        return
    click.echo(f"{t('people.col.name')}：{shown['name']}")
    click.echo(f"{t('people.col.roles')}：{person.roles}")
    click.echo(f"{t('people.col.fingerprint')}：{shown['fingerprint'] or '-'}")
    click.echo(f"{t('people.col.age_recipient')}：{shown['age_recipient'] or '-'}")


@click.group("key")
def key_group() -> None:
    """签名密钥与 age 身份（加密保存在数据库之外） / signing keys and age identities, kept outside the DB."""


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
        passphrase = passphrase_from_env_or_prompt(t("keys.prompt_new", name=name), confirm=True)
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


@key_group.command("age-new")
@click.option("--person", "name", required=True, help="已登记的人员 / a registered person")
@common_options
@qbank_errors
def key_age_new(name: str) -> None:
    """生成 age 身份（用于解开封存的试卷），登记其接收方 / new age identity for sealed papers.

    私钥以口令加密保存在密钥库（$QBANK_KEYS），数据库只登记接收方（age1…）。
    口令从提示输入，脚本可用环境变量 QBANK_PASSPHRASE。已有的身份密钥不会被覆盖。

    \b
    例 / Example:
      qbank key age-new --person 王老师
    """
    from qbank.confidential import set_age_recipient

    with transaction() as session:
        person = get_person(session, name)
        passphrase = passphrase_from_env_or_prompt(
            t("keys.prompt_age_new", name=person.name), confirm=True
        )
        recipient = keys.generate_age_identity(person.name, passphrase)
        set_age_recipient(session, person, recipient, actor=audit.current_actor())
    click.echo(
        t("keys.age_created", name=person.name, recipient=recipient, path=str(keys.keystore_dir()))
    )


@key_group.command("age-export-identity")
@click.option("--person", "name", required=True, help="人员 / person")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="输出的明文身份文件（不会覆盖已有文件） / plain identity file to write",
)
@common_options
@qbank_errors
def key_age_export_identity(name: str, out: Path) -> None:
    """把 age 身份以明文写成身份文件，供 age -d -i 或 qbank unseal 使用 / export an identity file.

    文件权限 0600，不会覆盖已有文件；用完即删。

    \b
    例 / Example:
      qbank key age-export-identity --person 王老师 --out 王老师.age-identity.txt
      age -d -i 王老师.age-identity.txt -o 批次.tar 批次.tar.age
    """
    with transaction() as session:
        person = get_person(session, name)
    passphrase = passphrase_from_env_or_prompt(
        t("keys.prompt_age_use", name=person.name), confirm=False
    )
    identity = keys.load_age_identity(person.name, passphrase)
    keys.write_identity_file(identity, out, comment=f"qbank age identity of {person.name}")
    click.echo(t("keys.age_exported", name=person.name, path=str(out)))
    click.echo(t("keys.age_export_warning"), err=True)


@key_group.command("age-set")
@click.option("--person", "name", required=True, help="人员 / person")
@click.option("--recipient", required=True, metavar="age1…", help="age 接收方（公钥） / recipient")
@common_options
@qbank_errors
def key_age_set(name: str, recipient: str) -> None:
    """只登记 age 接收方（公钥），私钥留在本人处 / register an age recipient only.

    例如鉴定中心的托管身份：在离线机器上用 age-keygen 生成，这里只登记公钥。

    \b
    例 / Example:
      age-keygen -o 鉴定中心托管.txt      # 在鉴定中心的离线机器上
      qbank key age-set --person 省鉴定中心 --recipient age1…
    """
    from qbank.confidential import set_age_recipient

    with transaction() as session:
        person = get_person(session, name)
        set_age_recipient(session, person, recipient, actor=audit.current_actor())
        shown = person.age_recipient
    click.echo(t("keys.age_set", name=person.name, recipient=shown))


@person_group.command("password")
@click.argument("name")
@common_options
@qbank_errors
def person_password(name: str) -> None:
    """设置网页工作台的登录密码（scrypt 哈希保存） / set a person's sign-in password.

    密码从 $QBANK_PASSWORD 读取，否则提示输入两次。
    / The password comes from $QBANK_PASSWORD, else it is asked for twice.

    \b
    例 / Example:
      qbank person password 李工
    """
    from qbank.passwords import check_strength, hash_password
    from qbank.people import set_password_hash

    with transaction() as session:
        person = get_person(session, name)
        password = passphrase_from_env_or_prompt(
            t("people.password_prompt", name=person.name), confirm=True, env="QBANK_PASSWORD"
        )
        check_strength(password)
        set_password_hash(session, person, hash_password(password), actor=audit.current_actor())
    click.echo(t("people.password_set", name=name))


def _access_command(grant: bool) -> click.Command:
    verb, done, undone = (
        ("grant", "people.granted", "people.already_granted")
        if grant
        else ("revoke", "people.revoked", "people.not_granted")
    )
    summary = (
        "允许某人在网页工作台查看一个题库 / let a person see a bank in the workspace"
        if grant
        else "收回某人查看一个题库的权限 / stop a person seeing a bank"
    ) + (
        "\n\n评价机构（institution 角色）的人员可以查看所有题库。"
        " / People with the institution role see every bank.\n\n\b\n例 / Example:\n"
        f"  qbank person {verb} 李工 --occupation 6-31-01-03 --level 4\n"
    )

    @person_group.command(verb, help=summary)
    @click.argument("name")
    @click.option("--occupation", required=True, metavar="CODE", help="职业编码 / occupation")
    @click.option("--level", type=DB_INT, required=True, help="等级 / level")
    @common_options
    @qbank_errors
    def command(name: str, occupation: str, level: int) -> None:
        from qbank import access
        from qbank.bank import find_bank

        with transaction() as session:
            person = get_person(session, name)
            bank = find_bank(session, occupation, level)
            change = access.grant if grant else access.revoke
            changed = change(session, person, bank, actor=audit.current_actor())
        key = done if changed else undone
        click.echo(t(key, name=person.name, occupation=occupation, level=level))

    return command


_access_command(True)
_access_command(False)
