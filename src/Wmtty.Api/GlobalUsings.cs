// Hl7.Fhir.Model declares Task, which collides with System.Threading.Tasks.Task: alias the FHIR types instead.
global using Base = Hl7.Fhir.Model.Base;
global using Bundle = Hl7.Fhir.Model.Bundle;
global using CapabilityStatement = Hl7.Fhir.Model.CapabilityStatement;
global using OperationOutcome = Hl7.Fhir.Model.OperationOutcome;
global using Resource = Hl7.Fhir.Model.Resource;
global using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;
