"""Every store over one database, for the composition root to hand out."""

from __future__ import annotations

from dataclasses import dataclass

from storage.audit import AuditStore
from storage.broadcasts import BroadcastStore
from storage.callbacks import CallbackLog
from storage.carts import CartStore
from storage.customers import CustomerStore
from storage.database import Database
from storage.kv import KeyValueStore
from storage.orders import OrderStore
from storage.outbox import OutboxStore
from storage.payins import PayinStore
from storage.payouts import PayoutStore
from storage.products import ProductStore
from storage.stats import StatsStore


@dataclass(frozen=True, slots=True)
class Stores:
    """One object per aggregate, all on the same database: `Stores.over(db)`."""

    db: Database
    customers: CustomerStore
    products: ProductStore
    carts: CartStore
    orders: OrderStore
    payins: PayinStore
    payouts: PayoutStore
    outbox: OutboxStore
    broadcasts: BroadcastStore
    audit: AuditStore
    callbacks: CallbackLog
    kv: KeyValueStore
    stats: StatsStore

    @classmethod
    def over(cls, db: Database) -> Stores:
        """Return every store working on `db`."""
        return cls(
            db=db,
            customers=CustomerStore(db),
            products=ProductStore(db),
            carts=CartStore(db),
            orders=OrderStore(db),
            payins=PayinStore(db),
            payouts=PayoutStore(db),
            outbox=OutboxStore(db),
            broadcasts=BroadcastStore(db),
            audit=AuditStore(db),
            callbacks=CallbackLog(db),
            kv=KeyValueStore(db),
            stats=StatsStore(db),
        )
