"""`qbank serve`: the browser workspace for reviewers, regulators and exam staff."""

from __future__ import annotations

from pathlib import Path

import click

from cli._common import common_options, database, qbank_errors, t
from qbank.errors import InvalidInput


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 / address to bind")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="端口 / port"
)
@click.option(
    "--as",
    "acting",
    metavar="NAME",
    help="本机链接以此人身份登录 / sign the loopback link in as NAME",
)
@click.option(
    "--cert",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="TLS 证书 / certificate",
)
@click.option(
    "--key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="TLS 私钥 / private key",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="浏览器访问时使用的主机名（可多次给出） / host name browsers use (repeatable)",
)
@click.option(
    "--session-minutes",
    type=click.IntRange(1, 24 * 60),
    default=30,
    show_default=True,
    help="无操作多少分钟后退出登录 / idle minutes before sign-out",
)
@common_options
@qbank_errors
def serve(
    host: str,
    port: int,
    acting: str | None,
    cert: Path | None,
    key: Path | None,
    allowed_hosts: tuple[str, ...],
    session_minutes: int,
) -> None:
    """启动网页工作台（审核、核验、考务批次） / serve the browser workspace.

    \b
    默认只在本机（127.0.0.1）提供服务，并打印一个只能使用一次的登录链接。
    在其他地址提供服务须给出 --cert/--key，且每人用 qbank person password 设置的密码登录。
    \b
    例 / Example:
      qbank serve --as 李工
      qbank serve --host 0.0.0.0 --cert server.crt --key server.key --allowed-host qbank.example.cn
    """
    import uvicorn
    from sqlalchemy import func, select

    from qbank.model import Person
    from qbank.queries import live_people
    from web.app import create_app
    from web.config import LOOPBACK_NAMES, WebConfig, is_loopback

    loopback = is_loopback(host)
    if not loopback and not (cert and key):
        raise InvalidInput("serve.needs_tls", host=host)
    if not loopback and acting:
        raise InvalidInput("serve.as_loopback_only", host=host)
    config = WebConfig(
        host=host,
        port=port,
        allowed_hosts=(*LOOPBACK_NAMES, *allowed_hosts) if loopback else (host, *allowed_hosts),
        acting_person=acting,
        tls=bool(cert and key),
        session_idle_seconds=session_minutes * 60,
    )
    with database() as db:
        with db.transaction() as session:
            if acting and session.scalar(live_people().where(Person.name == acting)) is None:
                raise InvalidInput("serve.as_unknown", name=acting)
            passwords = session.scalar(
                select(func.count()).select_from(
                    live_people().where(Person.password_hash.is_not(None)).subquery()
                )
            )
        if loopback:
            click.echo(t("serve.url", url=config.token_url()))
        else:
            click.echo(t("serve.url_login", url=config.origin))
        if not acting and not passwords:
            click.echo(t("serve.no_passwords"), err=True)
        uvicorn.run(
            create_app(config, db),
            host=host,
            port=port,
            ssl_certfile=str(cert) if cert else None,
            ssl_keyfile=str(key) if key else None,
            access_log=False,
            server_header=False,
            log_level="warning",
        )
    click.echo(t("serve.stopped"), err=True)
