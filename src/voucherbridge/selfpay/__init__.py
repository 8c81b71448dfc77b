"""Table-QR self-pay: a store's tables and their QR sheet, the bill on the guest's phone, and
its payment through WeChat Pay v3 (JSAPI) with the cashier's live alert."""
