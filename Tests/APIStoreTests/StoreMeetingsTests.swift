import APIStore
import Database
import Foundation
import Testing

@Suite("Store: meetings, allocation, invitees, roles, lobby (SQLite and MariaDB)")
struct StoreMeetingsTests {
    @Test("Scheduled and personal meetings: create, read back equal, one personal room per user, edit, cancel",
        arguments: StoreBackend.available)
    func meetings(backend: StoreBackend) async throws {
        try await backend.withStore { store throws in
            let owner = try await store.createUser(email: "owner@example.com", displayName: "O", isAdmin: false,
                now: Clock.at(0))
            let title = "Q3 review'); DROP TABLE meetings;--"
            let scheduled = try await store.createMeeting(Meeting(ownerID: owner.id, kind: .scheduled, title: title,
                beginAt: Clock.at(3600), endAt: Clock.at(7200), passcodeHash: [9, 9], lobbyEnabled: true,
                guestsAllowed: true, createdAt: Clock.at(1.0004)))
            #expect(try await store.meeting(id: scheduled.id) == scheduled)
            #expect(scheduled.title == title && scheduled.sequence == 0 && scheduled.allocationState == .pending)

            let room = try await store.createMeeting(Meeting(ownerID: owner.id, kind: .personal, title: "O's room",
                createdAt: Clock.at(2)))
            #expect(try await store.personalRoom(ownerID: owner.id) == room)
            await #expect(throws: StoreError.self) {
                _ = try await store.createMeeting(Meeting(ownerID: owner.id, kind: .personal, title: "second",
                    createdAt: Clock.at(3)))
            }
            await #expect(throws: StoreError.self) {
                _ = try await store.createMeeting(Meeting(id: scheduled.id, ownerID: owner.id, kind: .scheduled,
                    title: "same id", createdAt: Clock.at(3)))
            }
            #expect(try await store.meetings(ownerID: owner.id, includeCancelled: false).map(\.id) == [room.id, scheduled.id])

            var edit = scheduled
            edit.title = "Q3 review (moved)"
            edit.beginAt = Clock.at(7200)
            edit.endAt = Clock.at(9000)
            edit.passcodeHash = nil
            edit.lobbyEnabled = false
            let edited = try await store.updateMeeting(edit, now: Clock.at(10))
            #expect(edited.title == "Q3 review (moved)" && edited.beginAt == Clock.at(7200) && edited.passcodeHash == nil)
            #expect(!edited.lobbyEnabled && edited.sequence == 1 && edited.updatedAt == Clock.at(10))

            let cancelled = try await store.cancelMeeting(id: scheduled.id, now: Clock.at(20))
            #expect(cancelled.cancelled && cancelled.sequence == 2)
            #expect(try await store.cancelMeeting(id: scheduled.id, now: Clock.at(21)).sequence == 2)
            #expect(try await store.meetings(ownerID: owner.id, includeCancelled: false).map(\.id) == [room.id])
            #expect(try await store.meetings(ownerID: owner.id, includeCancelled: true).count == 2)
            await #expect(throws: StoreError.notFound("meeting nope")) {
                _ = try await store.cancelMeeting(id: "nope", now: Clock.at(22))
            }
        }
    }

    @Test("Allocation: pending with back-off, claimed by one caller when due, then allocated; found by sfu",
        arguments: StoreBackend.available)
    func allocation(backend: StoreBackend) async throws {
        try await backend.withStore { store throws in
            let owner = try await store.createUser(email: "o@example.com", displayName: "O", isAdmin: false,
                now: Clock.at(0))
            let meeting = try await store.createMeeting(Meeting(ownerID: owner.id, kind: .scheduled, title: "m",
                beginAt: Clock.at(100), endAt: Clock.at(200), createdAt: Clock.at(0)))
            let pending = try await store.setAllocationPending(meetingID: meeting.id, error: "HTTP 503",
                nextAttemptAt: Clock.at(5), now: Clock.at(1))
            #expect(pending.allocationState == .pending && pending.allocationAttempts == 1)
            #expect(pending.allocationError == "HTTP 503" && pending.nextAllocationAt == Clock.at(5))

            #expect(try await store.claimDueAllocations(now: Clock.at(4), leaseUntil: Clock.at(34), limit: 10).isEmpty)
            let claimed = try await store.claimDueAllocations(now: Clock.at(5), leaseUntil: Clock.at(35), limit: 10)
            #expect(claimed.map(\.id) == [meeting.id] && claimed.first?.nextAllocationAt == Clock.at(35))
            #expect(try await store.claimDueAllocations(now: Clock.at(6), leaseUntil: Clock.at(36), limit: 10).isEmpty)

            let allocated = try await store.setAllocation(meetingID: meeting.id, sfu: "sfu1.example.com:443",
                turn: "192.0.2.1:3478", fs: nil, now: Clock.at(7))
            #expect(allocated.allocationState == .allocated && allocated.allocationAttempts == 0)
            #expect(allocated.sfuAddress == "sfu1.example.com:443" && allocated.turnAddress == "192.0.2.1:3478")
            #expect(allocated.nextAllocationAt == nil && allocated.allocationError == nil && allocated.fsAddress == nil)
            #expect(try await store.claimDueAllocations(now: Clock.at(100), leaseUntil: Clock.at(130), limit: 10).isEmpty)
            #expect(try await store.meetings(sfuAddress: "sfu1.example.com:443").map(\.id) == [meeting.id])
            #expect(try await store.meetings(sfuAddress: "sfu2.example.com:443").isEmpty)
            let withFS = try await store.setAllocation(meetingID: meeting.id, sfu: "sfu2.example.com:443",
                turn: "192.0.2.1:3478", fs: "fs.example.com:443", now: Clock.at(8))
            #expect(withFS.fsAddress == "fs.example.com:443" && withFS.sfuAddress == "sfu2.example.com:443")
        }
    }

    @Test("Invitees and roles: normalized, replaced, and list the meetings someone is in",
        arguments: StoreBackend.available)
    func inviteesAndRoles(backend: StoreBackend) async throws {
        try await backend.withStore { store throws in
            let owner = try await store.createUser(email: "o@example.com", displayName: "O", isAdmin: false,
                now: Clock.at(0))
            let first = try await store.createMeeting(Meeting(ownerID: owner.id, kind: .scheduled, title: "1",
                beginAt: Clock.at(10), createdAt: Clock.at(0)))
            let second = try await store.createMeeting(Meeting(ownerID: owner.id, kind: .scheduled, title: "2",
                beginAt: Clock.at(20), createdAt: Clock.at(0)))
            try await store.setInvitees(meetingID: first.id, emails: ["B@example.com", "a@example.com", "b@example.com"])
            #expect(try await store.invitees(meetingID: first.id) == ["a@example.com", "b@example.com"])
            try await store.setInvitees(meetingID: first.id, emails: ["c@example.com", "a@example.com"])
            #expect(try await store.invitees(meetingID: first.id) == ["a@example.com", "c@example.com"])
            await #expect(throws: StoreError.notFound("meeting missing")) {
                try await store.setInvitees(meetingID: "missing", emails: ["a@example.com"])
            }

            try await store.setRole(meetingID: second.id, email: "A@example.com", role: .coHost)
            try await store.setRole(meetingID: second.id, email: "z@example.com", role: .participant)
            #expect(try await store.role(meetingID: second.id, email: "a@example.com") == .coHost)
            try await store.setRole(meetingID: second.id, email: "z@example.com", role: .host)
            #expect(try await store.roles(meetingID: second.id) == [
                RoleAssignment(meetingID: second.id, email: "a@example.com", role: .coHost),
                RoleAssignment(meetingID: second.id, email: "z@example.com", role: .host),
            ])
            try await store.removeRole(meetingID: second.id, email: "z@example.com")
            #expect(try await store.role(meetingID: second.id, email: "z@example.com") == nil)

            #expect(try await store.meetings(inviteeEmail: "A@example.com", includeCancelled: false).map(\.id)
                == [first.id, second.id])
            #expect(try await store.meetings(inviteeEmail: "c@example.com", includeCancelled: false).map(\.id) == [first.id])
            _ = try await store.cancelMeeting(id: first.id, now: Clock.at(1))
            #expect(try await store.meetings(inviteeEmail: "c@example.com", includeCancelled: false).isEmpty)
        }
    }

    @Test("Lobby: guests wait, a host admits or denies once", arguments: StoreBackend.available)
    func lobby(backend: StoreBackend) async throws {
        try await backend.withStore { store throws in
            let owner = try await store.createUser(email: "o@example.com", displayName: "O", isAdmin: false,
                now: Clock.at(0))
            let meeting = try await store.createMeeting(Meeting(ownerID: owner.id, kind: .personal, title: "room",
                lobbyEnabled: true, guestsAllowed: true, createdAt: Clock.at(0)))
            let guest = try await store.enterLobby(LobbyEntry(meetingID: meeting.id, displayName: "<script>alert(1)</script>",
                createdAt: Clock.at(1)))
            let member = try await store.enterLobby(LobbyEntry(meetingID: meeting.id, displayName: "Member",
                userID: owner.id, createdAt: Clock.at(2)))
            #expect(try await store.lobbyEntry(id: guest.id) == guest)
            #expect(try await store.lobbyEntries(meetingID: meeting.id, state: .waiting) == [guest, member])

            let admitted = try await store.decideLobbyEntry(id: guest.id, admit: true, decidedBy: owner.id, now: Clock.at(3))
            #expect(admitted?.state == .admitted && admitted?.decidedBy == owner.id && admitted?.decidedAt == Clock.at(3))
            #expect(try await store.decideLobbyEntry(id: guest.id, admit: false, decidedBy: owner.id, now: Clock.at(4)) == nil)
            #expect(try await store.decideLobbyEntry(id: member.id, admit: false, decidedBy: owner.id, now: Clock.at(5))?.state == .denied)
            #expect(try await store.lobbyEntries(meetingID: meeting.id, state: .waiting).isEmpty)
            #expect(try await store.lobbyEntries(meetingID: meeting.id, state: nil).map(\.state) == [.admitted, .denied])
            await #expect(throws: StoreError.self) {
                _ = try await store.enterLobby(LobbyEntry(meetingID: "no meeting", displayName: "x", createdAt: Clock.at(6)))
            }
        }
    }
}
