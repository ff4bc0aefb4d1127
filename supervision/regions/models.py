"""The region tree: District 区 → Street 街道 → Community 社区."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import scoping
from ..core.models import TimestampMixin, VersionedMixin
from ..core.sortkey import keeps_name_sort, name_sort_column
from ..extensions import db


class District(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str | None] = mapped_column(String(32))
    # The issuing authority printed on notices and reports, e.g. 某某区住房和城乡建设局.
    bureau_name: Mapped[str] = mapped_column(String(128))

    streets: Mapped[list[Street]] = relationship(
        back_populates="district", order_by="Street.name_sort", cascade="save-update"
    )

    def __str__(self) -> str:
        return self.name

    scope_clause = scoping.Everyone()


@keeps_name_sort
class Street(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "streets"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    name_sort: Mapped[str] = name_sort_column(512)
    code: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)

    district: Mapped[District] = relationship(back_populates="streets")
    communities: Mapped[list[Community]] = relationship(
        back_populates="street", order_by="Community.name_sort"
    )

    def __str__(self) -> str:
        return self.name

    # Every role may see the names of the streets; what lies in them is scoped.
    scope_clause = scoping.Everyone()


@keeps_name_sort
class Community(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("street_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    name_sort: Mapped[str] = name_sort_column(512)
    code: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)

    street: Mapped[Street] = relationship(back_populates="communities")

    def __str__(self) -> str:
        return self.name

    scope_clause = scoping.Everyone()
