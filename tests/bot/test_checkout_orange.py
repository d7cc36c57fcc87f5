"""Paying with Orange Money: the number, the exact USSD code, the OTP typed or tapped, retries."""

from __future__ import annotations

from bot.app import Runtime, Tuning, running
from bot.demo import seed_demo_catalog
from bot.emulator import TelegramEmulator
from bot.messages import checkout as words
from bot.messages import payment
from bot.settings import Settings
from storage.models import OrderState, PayinState, Product
from tests.bot.checkout_support import (
    MOOV_NUMBER,
    ORANGE_NUMBER,
    OTP_DECLINED,
    OTP_EXPIRED,
    OTP_OK,
    OTP_WRONG,
    TELECEL_NUMBER,
    Customer,
    by_name,
    is_keypad,
    new_customer,
    paid_once,
    reference_of,
    text,
)


def _keyboard_texts(emulator: TelegramEmulator, uid: int) -> list[str]:
    keyboard = emulator.reply_keyboard(uid)
    if keyboard is None:
        return []
    return [str(key.get("text")) for row in keyboard.get("keyboard", []) for key in row]


async def _paid_after_otp(bot: Runtime, customer: Customer) -> None:
    """The OTP was accepted: the payment shows as received, then one receipt comes."""
    # Normally the status message is edited in place. The sandbox pays an OTP at once and the
    # cashier only learns which message to edit after start_orange returns: a callback winning
    # that race (seen under heavy load) gets the paid status sent as a new message instead
    # (/work/notes/cashier-bugs.md). Either way the customer sees one "paid" and one receipt.
    await customer.emulator.wait_for_message(customer.uid, contains="Paiement reçu")
    await customer.emulator.wait_for_message(customer.uid, contains="Reçu — commande")
    await paid_once(bot, customer)
    assert customer.count("Paiement reçu") == 1
    assert customer.count("Reçu — commande") == 1


async def test_orange_shows_the_exact_ussd_code_and_a_typed_otp_pays(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Beurre"), 1)])
    summary = await customer.checkout()
    ask = await customer.choose(summary, words.ORANGE)
    assert "Orange Money" in ask.content
    keys = _keyboard_texts(emulator, customer.uid)
    assert words.TEXT("fr", "btn_share_phone") in keys
    assert words.TEXT("fr", "btn_other_method") in keys

    steps = await customer.say(ORANGE_NUMBER, expect="*144*4*6*2500#")
    assert "+226 07 12 34 56" in steps.content
    assert emulator.reply_keyboard(customer.uid) is None
    keypad = await emulator.wait_for(customer.uid, is_keypad)
    assert "○○○○○○" in keypad.content

    await customer.say(OTP_OK, expect=text("fr", "checking_otp"))
    assert not is_keypad(emulator.message(customer.uid, keypad.message_id))
    await _paid_after_otp(bot, customer)
    (payin,) = await customer.payins()
    assert payin.phone == "22607123456"
    assert payin.state is PayinState.COMPLETED


async def test_the_otp_can_be_tapped_on_the_keypad_with_progress_dots(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Soumbala"), 2)])
    keypad = await customer.orange_until_keypad()
    for key in ("1", "2", "9"):
        await customer.tap(keypad, words.KEY + key)
    await customer.wait_text(keypad.message_id, "●●●○○○")
    await customer.tap(keypad, words.KEY_ERASE)
    await customer.wait_text(keypad.message_id, "●●○○○○")
    too_short = await customer.tap(keypad, words.KEY_SEND)
    assert too_short.text == words.TEXT("fr", "keypad_short")
    for key in ("3", "4", "5", "6"):
        await customer.tap(keypad, words.KEY + key)
    await customer.wait_text(keypad.message_id, "●●●●●●")

    await customer.tap(keypad, words.KEY_SEND)

    await _paid_after_otp(bot, customer)


async def test_the_keypad_stops_at_eight_digits(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Soumbala"), 1)])
    keypad = await customer.orange_until_keypad()
    for _ in range(8):
        await customer.tap(keypad, words.KEY + "7")
    full = await customer.tap(keypad, words.KEY + "7")
    assert full.text == words.TEXT("fr", "keypad_full")
    await customer.wait_text(keypad.message_id, "●" * 8)


async def test_a_wrong_otp_is_asked_again_and_the_right_one_pays(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    await customer.orange_until_keypad()
    wrong = await customer.say(OTP_WRONG, expect=text("fr", "checking_otp"))
    again = await customer.wait_text(wrong.message_id, text("fr", "wrong_otp", left=2).strip())
    assert is_keypad(again)

    await customer.say(OTP_OK)

    await customer.status(after=again.message_id)
    await _paid_after_otp(bot, customer)
    states = [payin.state for payin in await customer.payins()]
    assert states == [PayinState.FAILED, PayinState.COMPLETED]


async def test_three_wrong_otps_end_the_checkout_and_keep_the_order(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    await customer.orange_until_keypad()
    for left in (2, 1):
        wrong = await customer.say(OTP_WRONG, expect=text("fr", "checking_otp"))
        await customer.wait_text(wrong.message_id, text("fr", "wrong_otp", left=left).strip())
    last = await customer.say(OTP_WRONG, expect=text("fr", "checking_otp"))

    order = await customer.order()
    ended = await customer.wait_text(last.message_id, "Trop d'essais")
    assert payment.RETRY + order.reference in ended.callback_data()
    assert order.state is OrderState.AWAITING_PAYMENT
    # The conversation is over: a code typed now starts no payin.
    await customer.say(OTP_OK)
    assert len(await customer.payins()) == 3


async def test_an_expired_otp_asks_to_dial_the_ussd_code_again(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 2)])
    await customer.orange_until_keypad()
    expired = await customer.say(OTP_EXPIRED, expect=text("fr", "checking_otp"))
    again = await customer.wait_text(expired.message_id, "*144*4*6*3000#")
    assert "expiré" in again.content
    assert is_keypad(again)

    await customer.say(OTP_OK)

    await customer.status(after=again.message_id)
    await _paid_after_otp(bot, customer)


async def test_a_declined_payment_offers_to_pay_again_which_then_succeeds(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Miel"), 1)])
    await customer.orange_until_keypad()
    waiting = await customer.say(OTP_DECLINED, expect=text("fr", "checking_otp"))
    failed = await customer.wait_text(waiting.message_id, "n'a pas abouti")
    reference = reference_of(failed)

    methods = await customer.tap_then(failed, payment.RETRY + reference, expect=reference)
    await customer.choose(methods, words.ORANGE)
    # The number used before is offered on the reply keyboard.
    assert "+226 07 12 34 56" in _keyboard_texts(emulator, customer.uid)
    await customer.say("+226 07 12 34 56", expect="*144*4*6*3500#")
    await customer.say(OTP_OK, expect=text("fr", "checking_otp"))

    await _paid_after_otp(bot, customer)
    states = [payin.state for payin in await customer.payins()]
    assert states == [PayinState.FAILED, PayinState.COMPLETED]


async def test_a_moov_number_is_refused_for_orange_with_the_other_methods(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    summary = await customer.checkout()
    reference = reference_of(summary)
    await customer.choose(summary, words.ORANGE)

    refused = await customer.say(MOOV_NUMBER, expect="Moov Money")
    assert "Orange Money" in refused.content
    assert refused.callback_data() == [
        f"{words.METHOD}{words.LINK}:{reference}",
        f"{words.METHOD}{words.MOOV}:{reference}",
    ]
    assert await customer.payins() == ()
    # Still at the number: an Orange number goes on.
    await customer.say(ORANGE_NUMBER, expect="*144*4*6*1500#")


async def test_a_moov_number_typed_for_orange_is_offered_when_switching_to_moov(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    await customer.choose(await customer.checkout(), words.ORANGE)
    refused = await customer.say(MOOV_NUMBER, expect="Moov Money")
    await customer.tap_then(refused, refused.callback_data()[1], expect="Moov")
    assert "+226 70 12 34 56" in _keyboard_texts(emulator, customer.uid)


async def test_a_telecel_number_can_only_pay_by_link(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    summary = await customer.checkout()
    await customer.choose(summary, words.ORANGE)
    refused = await customer.say(TELECEL_NUMBER, expect="Telecel")
    assert refused.callback_data() == [f"{words.METHOD}{words.LINK}:{reference_of(summary)}"]


async def test_bad_numbers_are_explained_and_nothing_is_lost(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    await customer.choose(await customer.checkout(), words.ORANGE)
    for typed, key in [
        ("mon numéro", "phone_not_a_number"),
        ("1234", "phone_not_a_number"),
        ("+33 6 12 34 56 78", "phone_not_burkina"),
        ("20 49 12 34", "phone_not_mobile"),
    ]:
        answer = await customer.say(typed)
        assert answer.content == text("fr", key, operator="Orange Money", example="07 12 34 56"), (
            typed
        )
    await customer.say(ORANGE_NUMBER, expect="*144*4*6*1500#")


async def test_only_the_customers_own_contact_is_accepted(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    await customer.choose(await customer.checkout(), words.ORANGE)
    other = await customer.share_contact("+22607999999", own=False)
    assert other.content == text("fr", "someone_else")
    mine = await customer.share_contact("22607123456", expect="*144*4*6*1500#")
    assert "+226 07 12 34 56" in mine.content
    assert emulator.reply_keyboard(customer.uid) is None


async def test_bad_otps_are_explained_and_the_step_is_kept(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    await customer.orange_until_keypad()
    letters = await customer.say("abc123")
    assert letters.content == text("fr", "otp_not_digits")
    short = await customer.say("123")
    assert short.content == text("fr", "otp_length")
    contact = await customer.share_contact("+22607123456")
    assert "Je n'attends pas cela ici" in contact.content
    assert await customer.payins() == ()
    await customer.say(OTP_OK, expect=text("fr", "checking_otp"))
    await _paid_after_otp(bot, customer)


async def test_other_method_from_the_keypad_goes_back_to_the_methods(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    keypad = await customer.orange_until_keypad()
    methods = await customer.tap_then(keypad, words.METHODS)
    reference = (await customer.order()).reference
    assert f"{words.METHOD}{words.LINK}:{reference}" in methods.callback_data()
    stale = await customer.tap(keypad, words.KEY + "1")
    assert stale.text == words.TEXT("fr", "stale_button")


async def test_the_checkout_resumes_at_the_otp_step_after_a_restart(
    bot_settings: Settings, tuning: Tuning, emulator: TelegramEmulator
) -> None:
    async with running(bot_settings, tuning) as first:
        catalog = await seed_demo_catalog(first.stores)
        customer = await new_customer(first, emulator, [(by_name(catalog, "Beurre"), 2)])
        keypad = await customer.orange_until_keypad()
        await customer.tap(keypad, words.KEY + "1")
        await customer.wait_text(keypad.message_id, "●○○○○○")

    async with running(bot_settings, tuning) as second:
        customer.stores = second.stores
        for key in ("2", "3", "4"):
            await customer.tap(keypad, words.KEY + key)
        await customer.wait_text(keypad.message_id, "●●●●○○")
        await customer.tap(keypad, words.KEY_SEND)
        await _paid_after_otp(second, customer)
        (payin,) = await customer.payins()
        assert payin.phone == "22607123456"
