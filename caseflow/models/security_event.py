from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import clock
from caseflow.i18n import N_, Labels
from caseflow.models.base import Base, one_of
from caseflow.models.user import User

SECURITY_EVENT_LABELS = Labels({
    "login_success": N_("登录成功"),
    "login_failure": N_("登录失败"),
    "login_throttled": N_("登录被限制"),
    "logout": N_("退出登录"),
    "password_changed": N_("修改密码"),
    "password_reset": N_("重置密码"),
    "sessions_ended": N_("全部下线"),
    "account_deactivated": N_("停用账号"),
    "link_created": N_("生成个人链接"),
    "link_revoked": N_("撤销个人链接"),
    "token_created": N_("创建 API 令牌"),
    "token_revoked": N_("撤销 API 令牌"),
})


class SecurityEvent(Base):
    """The security audit log (系统管理 › 安全日志): logins, throttling, passwords, sessions, links.

    ``username`` is what was typed at the login (also for unknown accounts); ``user_id`` the
    account concerned when there is one; ``actor_id`` who did it when that is someone else (an
    admin resetting a password, a dispatcher issuing a link).
    """

    __tablename__ = "security_events"
    __table_args__ = (one_of("kind", SECURITY_EVENT_LABELS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    username: Mapped[str] = mapped_column(String(64), default="", index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(200), default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    @property
    def kind_label(self) -> str:
        return SECURITY_EVENT_LABELS[self.kind]
