"""The ways an officer is reached: e-mail, a signed webhook, Telegram, Zalo OA and SMS."""
