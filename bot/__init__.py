"""ligdibot: a Telegram shop paid by mobile money through Ligdicash."""
