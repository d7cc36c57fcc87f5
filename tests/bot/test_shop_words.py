"""The shop's words and buttons: typed quantities, states in words, callback data round trips."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.i18n import LANGUAGES, Lang
from bot.messages import payment
from bot.messages import shop as say
from bot.reply import MAX_CALLBACK_DATA, Reply
from bot.shop import (
    ADD_PATTERN,
    CART_PATTERN,
    CART_SET_PATTERN,
    CATEGORIES_PATTERN,
    CATEGORY_PATTERN,
    EMPTY_ASK_PATTERN,
    EMPTY_YES_PATTERN,
    HELP_PATTERN,
    HOME_PATTERN,
    LANGUAGE_PATTERN,
    MENU_PATTERN,
    NOTIFY_PATTERN,
    ORDER_LIST_PATTERN,
    ORDER_PATTERN,
    ORDERS_PATTERN,
    PRODUCT_PATTERN,
    TYPE_QUANTITY_PATTERN,
    TYPING_LIFETIME,
    QuantityProblem,
    QuantityPrompt,
    parse_quantity,
)
from storage.models import (
    Cart,
    CartLine,
    Category,
    Order,
    OrderLine,
    OrderState,
    Payin,
    PayinMethod,
    PayinState,
    Product,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
BIG = 10**15  # ids far larger than any shop will reach, to test the 64-byte limit
SHOP_PATTERNS = [
    HOME_PATTERN,
    MENU_PATTERN,
    ORDERS_PATTERN,
    CATEGORIES_PATTERN,
    CATEGORY_PATTERN,
    PRODUCT_PATTERN,
    TYPE_QUANTITY_PATTERN,
    ADD_PATTERN,
    NOTIFY_PATTERN,
    CART_PATTERN,
    CART_SET_PATTERN,
    EMPTY_ASK_PATTERN,
    EMPTY_YES_PATTERN,
    ORDER_LIST_PATTERN,
    ORDER_PATTERN,
    HELP_PATTERN,
    LANGUAGE_PATTERN,
]
# Buttons the shop draws for other features to handle.
FOREIGN_PREFIXES = ("co:", payment.CHECK, payment.CANCEL, payment.RETRY)


def product(*, stock: int | None, active: bool = True, photo: str | None = None) -> Product:
    return Product(
        id=BIG,
        category_id=BIG,
        name="Pagne Faso Dan Fani <tissé>",
        description="Tissé à la main & teint à l'indigo.",
        price=12_000,
        photo_file_id=photo,
        stock=stock,
        active=active,
        position=0,
        created_at=NOW,
        updated_at=NOW,
    )


def order(state: OrderState) -> Order:
    return Order(
        id=BIG,
        reference="LB-7K3F9Q",
        customer_id=BIG,
        state=state,
        total=24_000,
        paid_amount=0,
        refunded_amount=0,
        flags=frozenset(),
        first_name="Awa",
        last_name="",
        email=None,
        lines=(OrderLine(1, BIG, "Pagne <b>", 12_000, 2),),
        created_at=NOW,
        updated_at=NOW,
        paid_at=None,
    )


def payin(state: PayinState) -> Payin:
    return Payin(
        id=BIG,
        transaction_id="f" * 32,
        order_id=BIG,
        customer_id=BIG,
        method=PayinMethod.LINK,
        amount=24_000,
        phone=None,
        state=state,
        token="t",
        payment_url="https://pay.example/checkout/abc",
        operator=None,
        request_id=None,
        detail=None,
        attempts=0,
        next_check_at=None,
        last_checked_at=None,
        created_at=NOW,
        updated_at=NOW,
        completed_at=None,
    )


@pytest.mark.parametrize(
    ("typed", "stock", "expected"),
    [
        ("3", 40, 3),
        (" 12 ", 40, 12),
        ("+5", 40, 5),
        ("007", 40, 7),
        ("40", 40, 40),
        ("99", None, 99),
        ("1 0", None, 10),
        ("0", 40, QuantityProblem.TOO_SMALL),
        ("-1", 40, QuantityProblem.TOO_SMALL),
        ("-0", 40, QuantityProblem.TOO_SMALL),
        ("abc", 40, QuantityProblem.NOT_A_NUMBER),
        ("1.5", 40, QuantityProblem.NOT_A_NUMBER),
        ("1,5", 40, QuantityProblem.NOT_A_NUMBER),
        ("", 40, QuantityProblem.NOT_A_NUMBER),
        ("٣", 40, QuantityProblem.NOT_A_NUMBER),
        ("1e3", 40, QuantityProblem.NOT_A_NUMBER),
        ("41", 40, QuantityProblem.BEYOND_STOCK),
        ("9999", 40, QuantityProblem.BEYOND_STOCK),
        ("9" * 5000, 40, QuantityProblem.BEYOND_STOCK),
        ("100", None, QuantityProblem.TOO_MANY),
        ("120", 150, QuantityProblem.TOO_MANY),
        ("9999", 150, QuantityProblem.TOO_MANY),
        ("100", 99, QuantityProblem.BEYOND_STOCK),
    ],
)
def test_a_typed_quantity_is_a_whole_number_within_stock_and_the_line_limit(
    typed: str, stock: int | None, expected: int | QuantityProblem
) -> None:
    assert parse_quantity(typed, product(stock=stock)) == expected


@pytest.mark.parametrize("problem", list(QuantityProblem))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_quantity_problem_is_explained_with_the_maximum(
    problem: QuantityProblem, lang: Lang
) -> None:
    reply = say.bad_quantity(lang, problem.value, product(stock=7), say.Shelf(1, 0))
    assert "7" in reply.text


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("state", list(OrderState))
def test_every_order_state_has_words_and_an_icon(lang: Lang, state: OrderState) -> None:
    assert say.order_state(lang, state)
    assert say.ORDER_ICONS[state]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("state", list(PayinState))
def test_every_payin_state_has_words(lang: Lang, state: PayinState) -> None:
    assert say.payin_state(lang, state)


def every_reply(lang: Lang) -> list[Reply]:
    """One reply of each kind the shop draws, with ids as long as they get."""
    shelf = say.Shelf(BIG, 999_999)
    in_stock, sold_out = product(stock=40), product(stock=0)
    cart = Cart(BIG, (CartLine(in_stock, 3), CartLine(product(stock=None, active=False), 1)))
    category = Category(BIG, "Artisanat & co", 0, True, NOW)
    waiting = order(OrderState.AWAITING_PAYMENT)
    return [
        say.welcome(lang, store="B&B", name="<Awa>", test_mode=True, cart_count=3),
        say.menu(lang, 0, note="note"),
        say.help_text(lang, store="B&B", website="https://shop.example/?a=1&b=2"),
        say.categories(lang, [category]),
        say.categories(lang, []),
        say.product_list(lang, title="T", shelf=say.Shelf(BIG, 1), products=[in_stock], total=20),
        say.product_list(lang, title="T", shelf=shelf, products=[], total=0),
        say.product_card(lang, in_stock, quantity=99, shelf=shelf, in_cart=12),
        say.product_card(lang, sold_out, quantity=1, shelf=shelf, restock_requested=True),
        say.ask_quantity(lang, in_stock, shelf),
        say.back_in_stock(lang, in_stock),
        say.cart(lang, cart),
        say.cart(lang, Cart(BIG, ())),
        say.confirm_empty(lang, cart),
        say.orders(lang, [waiting], next_cursor=f"{BIG}.{BIG}", first=False),
        say.orders(lang, [], next_cursor=None, first=True),
        say.order_detail(lang, waiting, [payin(PayinState.FAILED), payin(PayinState.PENDING)]),
        say.order_detail(lang, order(OrderState.PAID), [payin(PayinState.COMPLETED)]),
        say.unknown(lang, 2, command=True),
        say.error(lang),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_shop_button_is_one_the_shop_or_another_feature_handles(lang: Lang) -> None:
    for reply in every_reply(lang):
        for row in reply.buttons:
            for button in row:
                if button.data is None:
                    continue
                assert len(button.data.encode()) <= MAX_CALLBACK_DATA
                if button.data.startswith(FOREIGN_PREFIXES):
                    continue
                assert any(p.match(button.data) for p in SHOP_PATTERNS), button.data


@pytest.mark.parametrize("lang", LANGUAGES)
def test_names_from_the_catalog_and_customers_are_escaped(lang: Lang) -> None:
    for reply in every_reply(lang):
        assert "<Awa>" not in reply.text
        assert "<tissé>" not in reply.text
        assert "Pagne <b>" not in reply.text
        assert " & " not in reply.text


def test_a_long_description_fits_a_photo_caption() -> None:
    long = replace(product(stock=3, photo="AgAC"), description="x" * 5000)
    card = say.product_card("fr", long, quantity=1, shelf=say.Shelf(1, 0))
    assert card.photo == "AgAC"
    assert len(card.text) <= 1024


def test_a_quantity_prompt_round_trips_through_user_data() -> None:
    prompt = QuantityPrompt(12, say.Shelf(3, 1), NOW)
    assert QuantityPrompt.from_data(prompt.to_data()) == prompt


@pytest.mark.parametrize(
    "data",
    [
        None,
        "shop",
        [],
        {},
        {"product": 1, "category": 1, "page": 0},
        {"product": "1", "category": 1, "page": 0, "at": 0},
        {"product": 1, "category": 1, "page": 0.5, "at": 0},
    ],
)
def test_unreadable_prompt_data_is_no_prompt(data: object) -> None:
    assert QuantityPrompt.from_data(data) is None


def test_a_quantity_prompt_expires_after_its_lifetime() -> None:
    prompt = QuantityPrompt(12, say.Shelf(3, 1), NOW)
    assert not prompt.expired(NOW + TYPING_LIFETIME)
    assert prompt.expired(NOW + TYPING_LIFETIME + timedelta(seconds=1))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_help_gives_the_shop_website_when_there_is_one(lang: Lang) -> None:
    with_site = say.help_text(lang, store="B", website="https://shop.example")
    assert "https://shop.example" in with_site.text
    assert "https://" not in say.help_text(lang, store="B", website=None).text
