-- 0001: the first schema. Money is INTEGER XOF; every *_at is INTEGER epoch milliseconds (UTC).
-- Released migrations are never edited: change the schema in a new NNNN_name.sql file.

CREATE TABLE customers (
    id           INTEGER PRIMARY KEY,
    first_name   TEXT    NOT NULL DEFAULT '',
    last_name    TEXT    NOT NULL DEFAULT '',
    username     TEXT,
    language     TEXT    NOT NULL,
    email        TEXT,
    blocked      INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;

CREATE INDEX customers_reachable ON customers (id) WHERE blocked = 0;

CREATE TABLE customer_phones (
    customer_id   INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    phone         TEXT    NOT NULL,
    first_used_at INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, phone)
) STRICT, WITHOUT ROWID;

CREATE TABLE categories (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL CHECK (name <> ''),
    position   INTEGER NOT NULL DEFAULT 0,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE products (
    id            INTEGER PRIMARY KEY,
    category_id   INTEGER REFERENCES categories (id) ON DELETE SET NULL,
    name          TEXT    NOT NULL CHECK (name <> ''),
    description   TEXT    NOT NULL DEFAULT '',
    price         INTEGER NOT NULL CHECK (price > 0),
    photo_file_id TEXT,
    stock         INTEGER CHECK (stock >= 0),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    position      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX products_by_category ON products (category_id, position);

CREATE TABLE restock_requests (
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (product_id, customer_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE cart_lines (
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity    INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (customer_id, product_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    reference       TEXT    NOT NULL UNIQUE,
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    state           TEXT    NOT NULL CHECK (state IN ('awaiting_payment', 'paid', 'cancelled',
                                                      'expired', 'refunded', 'partially_refunded')),
    total           INTEGER NOT NULL CHECK (total > 0),
    paid_amount     INTEGER NOT NULL DEFAULT 0 CHECK (paid_amount >= 0),
    refunded_amount INTEGER NOT NULL DEFAULT 0
                    CHECK (refunded_amount >= 0 AND refunded_amount <= paid_amount),
    flags           TEXT    NOT NULL DEFAULT '',
    first_name      TEXT    NOT NULL DEFAULT '',
    last_name       TEXT    NOT NULL DEFAULT '',
    email           TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    paid_at         INTEGER,
    -- The money an order holds decides whether it may be in a paid state, whatever the code does.
    CHECK ((state IN ('paid', 'refunded', 'partially_refunded')) = (paid_amount > 0)),
    CHECK ((paid_amount > 0) = (paid_at IS NOT NULL)),
    CHECK (state <> 'paid' OR refunded_amount = 0),
    CHECK (state <> 'refunded' OR refunded_amount = paid_amount),
    CHECK (state <> 'partially_refunded'
           OR (refunded_amount > 0 AND refunded_amount < paid_amount))
) STRICT;

CREATE INDEX orders_by_state ON orders (state, created_at);
CREATE INDEX orders_by_customer ON orders (customer_id, created_at);
CREATE INDEX orders_by_created ON orders (created_at);
CREATE INDEX orders_flagged ON orders (updated_at) WHERE flags <> '';

CREATE TABLE order_lines (
    order_id   INTEGER NOT NULL REFERENCES orders (id),
    line_no    INTEGER NOT NULL CHECK (line_no > 0),
    product_id INTEGER NOT NULL REFERENCES products (id),
    name       TEXT    NOT NULL,
    unit_price INTEGER NOT NULL CHECK (unit_price > 0),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, line_no)
) STRICT, WITHOUT ROWID;

CREATE INDEX order_lines_by_product ON order_lines (product_id);

CREATE TABLE payins (
    id              INTEGER PRIMARY KEY,
    transaction_id  TEXT    NOT NULL UNIQUE,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    method          TEXT    NOT NULL CHECK (method IN ('link', 'orange_otp', 'moov_approval')),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    phone           TEXT,
    state           TEXT    NOT NULL CHECK (state IN ('creating', 'pending', 'completed',
                                                      'failed', 'expired', 'unknown')),
    token           TEXT,
    payment_url     TEXT,
    operator        TEXT,
    request_id      TEXT,
    detail          TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_check_at   INTEGER,
    last_checked_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    completed_at    INTEGER,
    CHECK ((state = 'completed') = (completed_at IS NOT NULL))
) STRICT;

CREATE INDEX payins_by_order ON payins (order_id);
CREATE INDEX payins_by_customer ON payins (customer_id, created_at);
CREATE INDEX payins_by_created ON payins (created_at);
CREATE INDEX payins_due ON payins (next_check_at)
    WHERE state IN ('creating', 'pending', 'unknown');

-- Daily rollups, kept by the triggers below inside the statement that changes the money, so
-- stats read a few rows. day = UTC days since 1970-01-01 (Burkina Faso is UTC+0).
CREATE TABLE revenue_daily (
    day      INTEGER NOT NULL,
    method   TEXT    NOT NULL,
    operator TEXT    NOT NULL,
    payins   INTEGER NOT NULL CHECK (payins >= 0),
    revenue  INTEGER NOT NULL CHECK (revenue >= 0),
    PRIMARY KEY (day, method, operator)
) STRICT, WITHOUT ROWID;

CREATE TABLE orders_daily (
    day          INTEGER PRIMARY KEY,
    created      INTEGER NOT NULL DEFAULT 0 CHECK (created >= 0),
    created_paid INTEGER NOT NULL DEFAULT 0 CHECK (created_paid >= 0),
    paid         INTEGER NOT NULL DEFAULT 0 CHECK (paid >= 0)
) STRICT;

CREATE TRIGGER orders_daily_created AFTER INSERT ON orders
BEGIN
    INSERT INTO orders_daily (day, created) VALUES (new.created_at / 86400000, 1)
        ON CONFLICT (day) DO UPDATE SET created = created + 1;
END;

CREATE TRIGGER orders_daily_paid AFTER UPDATE OF paid_at ON orders
WHEN old.paid_at IS NULL AND new.paid_at IS NOT NULL
BEGIN
    INSERT INTO orders_daily (day, paid) VALUES (new.paid_at / 86400000, 1)
        ON CONFLICT (day) DO UPDATE SET paid = paid + 1;
    INSERT INTO orders_daily (day, created_paid) VALUES (new.created_at / 86400000, 1)
        ON CONFLICT (day) DO UPDATE SET created_paid = created_paid + 1;
END;

CREATE TRIGGER revenue_daily_completed AFTER UPDATE OF state ON payins
WHEN new.state = 'completed' AND old.state <> 'completed'
BEGIN
    INSERT INTO revenue_daily (day, method, operator, payins, revenue)
        VALUES (new.completed_at / 86400000, new.method, coalesce(new.operator, ''), 1,
                new.amount)
        ON CONFLICT (day, method, operator)
        DO UPDATE SET payins = payins + 1, revenue = revenue + excluded.revenue;
END;

CREATE TABLE payouts (
    id              INTEGER PRIMARY KEY,
    transaction_id  TEXT    NOT NULL UNIQUE,
    order_id        INTEGER REFERENCES orders (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('client', 'merchant')),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    phone           TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('intent', 'sending', 'pending', 'completed',
                                                      'failed', 'unknown', 'cancelled')),
    token           TEXT,
    requested_by    INTEGER NOT NULL,
    reason          TEXT    NOT NULL,
    request_id      TEXT,
    detail          TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_check_at   INTEGER,
    last_checked_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    completed_at    INTEGER,
    CHECK ((state = 'completed') = (completed_at IS NOT NULL))
) STRICT;

CREATE INDEX payouts_by_order ON payouts (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX payouts_by_created ON payouts (created_at);
CREATE INDEX payouts_due ON payouts (next_check_at)
    WHERE state IN ('sending', 'pending', 'unknown');
CREATE INDEX payouts_completed ON payouts (completed_at, amount, order_id)
    WHERE state = 'completed';

CREATE TABLE broadcasts (
    id                INTEGER PRIMARY KEY,
    created_by        INTEGER NOT NULL,
    kind              TEXT    NOT NULL,
    payload           TEXT    NOT NULL CHECK (json_valid(payload)),
    state             TEXT    NOT NULL CHECK (state IN ('sending', 'cancelled', 'finished')),
    recipients        INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    finished_at       INTEGER,
    status_chat_id    INTEGER,
    status_message_id INTEGER
) STRICT;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL CHECK (json_valid(payload)),
    dedup_key       TEXT    NOT NULL UNIQUE,
    priority        INTEGER NOT NULL DEFAULT 0,
    broadcast_id    INTEGER REFERENCES broadcasts (id),
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'skipped',
                                                      'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    sent_at         INTEGER
) STRICT;

CREATE INDEX outbox_due ON outbox (priority, next_attempt_at) WHERE state = 'queued';
CREATE INDEX outbox_queued_by_chat ON outbox (chat_id) WHERE state = 'queued';
CREATE INDEX outbox_by_broadcast ON outbox (broadcast_id, state) WHERE broadcast_id IS NOT NULL;
CREATE INDEX outbox_done ON outbox (updated_at) WHERE state <> 'queued';

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    entity      TEXT    NOT NULL,
    entity_id   TEXT    NOT NULL,
    order_id    INTEGER,
    from_state  TEXT,
    to_state    TEXT,
    why         TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_by_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_by_order ON audit_log (order_id) WHERE order_id IS NOT NULL;

CREATE TABLE callback_log (
    id             INTEGER PRIMARY KEY,
    received_at    INTEGER NOT NULL,
    content_type   TEXT    NOT NULL DEFAULT '',
    body           TEXT    NOT NULL,
    transaction_id TEXT,
    outcome        TEXT    NOT NULL
) STRICT;

CREATE INDEX callback_log_by_transaction ON callback_log (transaction_id)
    WHERE transaction_id IS NOT NULL;
CREATE INDEX callback_log_by_time ON callback_log (received_at);

CREATE TABLE kv (
    namespace  TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL CHECK (json_valid(value)),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, key)
) STRICT, WITHOUT ROWID;
