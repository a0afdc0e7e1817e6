extension ZvcmsSandbox {
    /// Who may call the sandbox, what it knows at start, and how it shapes its answers.
    public struct Configuration: Sendable {
        /// The credentials of one openId. `description` redacts the openKey.
        public struct Account: Sendable, Hashable, CustomStringConvertible {
            public var grantCode: String
            public var openKey: String

            public init(grantCode: String, openKey: String) {
                self.grantCode = grantCode
                self.openKey = openKey
            }

            public var description: String { "Account(grantCode: \(grantCode), openKey: redacted)" }
        }

        /// A member: `id` is the 19-digit customerId / user_id, `userCode` the member code.
        public struct Customer: Sendable, Hashable {
            public var id: String
            public var userCode: String?

            public init(id: String, userCode: String? = nil) {
                self.id = id
                self.userCode = userCode
            }
        }

        /// A kind of coupon that can be issued, with the rules that make it usable for an order.
        public struct CouponTemplate: Sendable, Hashable {
            /// What the issue call's `couponId` names (18–19 digits in production).
            public var couponID: String
            /// The short template id (`templateId`, seed 003: 895).
            public var templateID: String
            public var title: String
            /// Face value in yuan, as text.
            public var amount: String
            /// Usable only for orders worth at least this many fen (after discount).
            public var minimumOrderFen: Int
            /// Store codes (`multi_mark`) it is usable at; nil means every store.
            public var stores: Set<String>?

            public init(
                couponID: String, templateID: String, title: String, amount: String = "5",
                minimumOrderFen: Int = 0, stores: Set<String>? = nil
            ) {
                self.couponID = couponID
                self.templateID = templateID
                self.title = title
                self.amount = amount
                self.minimumOrderFen = minimumOrderFen
                self.stores = stores
            }
        }

        /// A coupon a customer already holds.
        public struct Coupon: Sendable, Hashable {
            /// The coupon code (`cardId`).
            public var cardID: String
            /// Which template's `couponID` it was issued from.
            public var couponID: String
            public var customerID: String
            /// 0 unused, 1 used, 2 frozen, 6 expired, 7 deleted.
            public var useStatus: Int
            /// The `bizId` it was issued under, if any.
            public var bizID: String?

            public init(cardID: String, couponID: String, customerID: String, useStatus: Int = 0, bizID: String? = nil) {
                self.cardID = cardID
                self.couponID = couponID
                self.customerID = customerID
                self.useStatus = useStatus
                self.bizID = bizID
            }
        }

        /// How scalars are typed in answers: the platform is inconsistent, and clients must cope.
        public enum ScalarStyle: Sendable, Hashable {
            /// `"status":true,"code":0`, ids as strings (docs/zvcms.md).
            case typed
            /// `"status":"true","code":"0"`, as the seeds' examples show.
            case strings
            /// Ids as JSON numbers (19 digits, beyond `Double`), status/code typed.
            case numericIDs
        }

        /// Where the sandbox listens for each call (same defaults as the client).
        public struct Paths: Sendable, Hashable {
            public var v2: String = "/api/v2"
            public var v3Prefix: String = "/v3/"
            public var userUseCouponAction: String = "user.user-use-coupon"
            public var customerCoupons: String = "crm/coupon/getCustomerCoupons"
            public var couponStatus: String = "coupon/status"
            public var issue: String = "coupon/issueCouponsToCustomer"
            /// Issue request field names: bizId, couponId, customerId, num, thirdChannel.
            public var issueBizID = "bizId"
            public var issueCouponID = "couponId"
            public var issueCustomerID = "customerId"
            public var issueNum = "num"

            public init() {}
        }

        /// openId → credentials.
        public var accounts: [String: Account]
        public var customers: [Customer]
        public var templates: [CouponTemplate]
        public var coupons: [Coupon]
        public var scalarStyle: ScalarStyle
        /// How far a request timestamp may be from the (possibly skewed) server clock, in seconds.
        public var timestampToleranceSeconds: Int
        public var paths: Paths
        /// The first coupon code the sandbox hands out; later ones count up.
        public var firstCardID: Int64

        public init(
            accounts: [String: Account], customers: [Customer] = [], templates: [CouponTemplate] = [],
            coupons: [Coupon] = [], scalarStyle: ScalarStyle = .typed, timestampToleranceSeconds: Int = 300,
            paths: Paths = Paths(), firstCardID: Int64 = 390_913_445_498_200_065
        ) {
            self.accounts = accounts
            self.customers = customers
            self.templates = templates
            self.coupons = coupons
            self.scalarStyle = scalarStyle
            self.timestampToleranceSeconds = timestampToleranceSeconds
            self.paths = paths
            self.firstCardID = firstCardID
        }
    }
}
