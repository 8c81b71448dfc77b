"""VoucherBridge: redeem online-platform vouchers at the point of sale."""

__version__ = "0.1.0"
