print("coupon-worker: under construction")
