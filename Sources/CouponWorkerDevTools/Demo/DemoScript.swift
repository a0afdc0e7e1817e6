import CouponSandbox
import CouponWorkerRuntime

/// The sample commands `demo` sends, and what each should come to.
struct DemoScript {
    struct Step {
        var topic: String
        var key: String
        var value: String
        /// What the result should say (`nil`: no result: neither the bytes nor the record key carry an out_request_no).
        var expectedStatus: String?
        var expectReplay = false
        var expectDeadLetter = false
        var note: String
    }

    let steps: [Step]

    init() {
        let ids = ProviderSandboxes.Identities.self
        func wechatIssue(_ no: String, openid: String) -> String {
            ProviderSandboxes.SampleCommands.wechatIssue(no, openid: openid, merchant: ids.mchid)
        }
        let zvcmsIssue = ProviderSandboxes.SampleCommands.zvcmsIssue
        let issue = Topology.issue
        let query = Topology.query
        steps = [
            Step(topic: issue, key: "DEMO-W-0001", value: wechatIssue("DEMO-W-0001", openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
                 expectedStatus: "succeeded", note: "WeChat issue"),
            Step(topic: issue, key: "DEMO-W-0002", value: wechatIssue("DEMO-W-0002", openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p"),
                 expectedStatus: "succeeded", note: "WeChat issue"),
            Step(topic: issue, key: "DEMO-Z-0001", value: zvcmsIssue("DEMO-Z-0001"), expectedStatus: "succeeded",
                 note: "zvcms issue"),
            Step(topic: issue, key: "DEMO-W-0001", value: wechatIssue("DEMO-W-0001", openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
                 expectedStatus: "succeeded", expectReplay: true, note: "duplicate: the stored result again"),
            Step(topic: issue, key: "DEMO-Z-0001", value: zvcmsIssue("DEMO-Z-0001"), expectedStatus: "succeeded",
                 expectReplay: true, note: "duplicate at zvcms, which has no idempotency of its own"),
            Step(topic: issue, key: "DEMO-W-0002", value: wechatIssue("DEMO-W-0002", openid: "oSomebodyElse0000000000000"),
                 expectedStatus: "rejected", expectDeadLetter: true, note: "same out_request_no, other content: conflict"),
            Step(topic: issue, key: "DEMO-BAD-0001", value: #"{"out_request_no":"DEMO-BAD-0001","provider":"wechat","operation":"product_coupon.send","params":{"openid":"../../etc/passwd","appid":"\#(ids.appid)","stock_id":"\#(ids.stockID)","coupon_type":"NORMAL"}}"#,
                 expectedStatus: "rejected", expectDeadLetter: true, note: "invalid openid"),
            Step(topic: issue, key: "DEMO-BAD-0002", value: "{this is not json", expectedStatus: "rejected", expectDeadLetter: true,
                 note: "not JSON: rejected under its record key, dead-lettered"),
            Step(topic: query, key: "DEMO-Q-0001", value: #"{"out_request_no":"DEMO-Q-0001","provider":"wechat","operation":"user_coupons.list","params":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","appid":"\#(ids.appid)","stock_id":"\#(ids.stockID)","creator_merchant":"\#(ids.mchid)","limit":10}}"#,
                 expectedStatus: "succeeded", note: "WeChat query: the user's coupons"),
            Step(topic: query, key: "DEMO-Q-0002", value: #"{"out_request_no":"DEMO-Q-0002","provider":"zvcms","operation":"customer_coupons","params":{"customerId":"\#(ids.zvcmsCustomerID)"}}"#,
                 expectedStatus: "succeeded", note: "zvcms query: the member's coupons"),
            Step(topic: query, key: "DEMO-Q-0003", value: #"{"out_request_no":"DEMO-Q-0003","provider":"zvcms","operation":"user_use_coupon","params":{"multi_mark":"STORE-001","user_id":"\#(ids.zvcmsCustomerID)","trade_marks":[{"num":1,"trade_mark":"SKU-LATTE","price":"25.00"}],"discount_price":"0","type_cate":1}}"#,
                 expectedStatus: "succeeded", note: "zvcms query: usable coupons for an order"),
        ]
    }

    var expectedResults: Int { steps.filter { $0.expectedStatus != nil }.count }
    var expectedDeadLetters: Int { steps.filter(\.expectDeadLetter).count }

    /// Issues go first; the queries are sent once every issue has its result, so they show
    /// the coupons the demo just issued rather than an empty list.
    var issues: [Step] { steps.filter { $0.topic == Topology.issue } }
    var queries: [Step] { steps.filter { $0.topic != Topology.issue } }
    var issuesDone: (results: Int, deadLetters: Int) {
        (issues.filter { $0.expectedStatus != nil }.count, issues.filter(\.expectDeadLetter).count)
    }
}
