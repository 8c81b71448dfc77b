"""Reconciliation (对账): our redemptions of a store's day against each platform's statement."""
