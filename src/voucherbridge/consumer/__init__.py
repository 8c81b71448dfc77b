"""The consumer's side on the phone 我的优惠, the codes bought for an openid."""
