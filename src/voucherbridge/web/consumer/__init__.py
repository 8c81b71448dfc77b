"""Consumer pages on the phone (`/wx/...`): WeChat sign-in (OAuth snsapi_base) and 我的优惠."""
